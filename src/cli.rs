//! The command line: `kuronuri redact` and `kuronuri serve`. Errors are one line on standard
//! error and a non-zero exit status (1 for a failure, 2 for a usage mistake).

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::export::ExportFormat;
use crate::imaging::{Image, MaskStyle, Region};
use crate::pii::Policy;
use crate::serve;

pub const USAGE: &str = "\
usage:
  kuronuri redact IN -o OUT [--box x,y,w,h]... [--quad x1,y1,x2,y2,x3,y3,x4,y4]... [--scan]
                  [--policy P] [--report R.json] [--style fill|fill:#rrggbb|mosaic|blur]
                  [--text-style STYLE] [--format png|jpeg[:Q]] [--pad SHARE] [--models DIR]
  kuronuri scan IN... --out-dir DIR [--policy P] [--models DIR] [--ocr-cache DIR]
  kuronuri ocr IN [--json] [--models DIR]
  kuronuri faces IN [--json] [--min-face PX] [--threshold T] [--models DIR]
  kuronuri video FRAMES_DIR --out R.json [--fps N] [--policy P] [--models DIR] [--ocr-cache DIR]
  kuronuri serve [--root DIR] [--port N] [--host ADDR]

redact writes OUT afresh (PNG or JPEG, no metadata; the format follows OUT's extension
unless --format is given) with personal data masked. IN is only read. Without --box or
--quad it scans IN and masks every finding (text with --text-style, default a solid fill);
with them it masks those regions with --style, and scans as well only when --scan is given.
--report writes the findings as JSON.
scan reads each IN and writes DIR/<IN's stem>.json: its findings (category, tier, text,
quad, score, reason). --ocr-cache keeps each image's OCR result there and reuses it.
P (policy): everything (default: identifiers and attributes beside them), identifiers, or
insurance_copy (a copy of a health insurance card: 記号・番号・保険者番号 and QR codes only),
optionally followed by ,-category to leave a category out (everything,-score).
ocr prints the text lines of IN (or, with --json, lines with their quads and every
character's quad).
faces prints the faces found in IN (box, score), or with --json the boxes, landmarks and
timings; --min-face sets the smallest face looked for (default 20 px).
video scans a video given as a folder of its frames in order (PNG or JPEG files, sorted by
name, e.g. from ffmpeg -i IN DIR/%06d.png) as the page scans a video file: it reads only the
frames where the picture changed and carries findings over the others. R.json lists the
frames read, the tracks, and for every frame the regions export masks. Models are read from --models, $KURONURI_MODELS or ./www/models.
serve serves the page (default root ./www, port 8080, host 127.0.0.1).";

/// A failure, with the exit status it deserves.
pub struct Failure {
    pub message: String,
    pub status: i32,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        status: 2,
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            message: e.to_string(),
            status: 1,
        }
    }
}

/// Runs the command line with `args` (without the program name).
pub fn run(args: &[String]) -> Result<(), Failure> {
    match args.first().map(String::as_str) {
        Some("redact") => redact(&args[1..]),
        Some("serve") => serve_command(&args[1..]),
        Some("ocr") => ocr(&args[1..]),
        Some("scan") => scan(&args[1..]),
        Some("video") => video(&args[1..]),
        Some("faces") => faces(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some("-V" | "--version") => {
            println!("kuronuri {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some(other) => Err(usage(format!(
            "unknown command {other:?} (try kuronuri --help)"
        ))),
        None => Err(usage("no command given (try kuronuri --help)")),
    }
}

/// Splits `--flag value` pairs from positional arguments.
fn take_value<'a>(
    flag: &str,
    it: &mut impl Iterator<Item = &'a String>,
) -> Result<&'a String, Failure> {
    it.next()
        .ok_or_else(|| usage(format!("{flag} needs a value")))
}

fn numbers(flag: &str, text: &str, count: usize) -> Result<Vec<f32>, Failure> {
    let values: Result<Vec<f32>, _> = text.split(',').map(|v| v.trim().parse::<f32>()).collect();
    match values {
        Ok(v) if v.len() == count && v.iter().all(|x| x.is_finite()) => Ok(v),
        _ => Err(usage(format!(
            "{flag} takes {count} comma-separated numbers, got {text:?}"
        ))),
    }
}

fn redact(args: &[String]) -> Result<(), Failure> {
    let mut input: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut shapes = Vec::new();
    let mut style = MaskStyle::default();
    let mut format: Option<ExportFormat> = None;
    let mut pad = crate::imaging::region::DEFAULT_PADDING;
    let mut text_style = MaskStyle::default();
    let (mut force_scan, mut policy, mut report, mut models) =
        (false, Policy::default(), None::<PathBuf>, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-o" | "--output" => output = Some(take_value(arg, &mut it)?.into()),
            "--box" => {
                let v = numbers(arg, take_value(arg, &mut it)?, 4)?;
                shapes.push(crate::imaging::Shape::Rect {
                    x: v[0],
                    y: v[1],
                    w: v[2],
                    h: v[3],
                });
            }
            "--quad" => {
                let v = numbers(arg, take_value(arg, &mut it)?, 8)?;
                shapes.push(crate::imaging::Shape::Polygon(
                    v.chunks(2).map(|p| [p[0], p[1]]).collect(),
                ));
            }
            "--style" => style = take_value(arg, &mut it)?.parse()?,
            "--text-style" => text_style = take_value(arg, &mut it)?.parse()?,
            "--scan" => force_scan = true,
            "--policy" => policy = Policy::parse(take_value(arg, &mut it)?).map_err(usage)?,
            "--report" => report = Some(PathBuf::from(take_value(arg, &mut it)?)),
            "--models" => models = Some(PathBuf::from(take_value(arg, &mut it)?)),
            "--format" => format = Some(take_value(arg, &mut it)?.parse()?),
            "--pad" => {
                pad = take_value(arg, &mut it)?
                    .parse()
                    .map_err(|_| usage("--pad takes a number such as 0.15"))?;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(usage(format!("unknown option {flag}")))
            }
            path if input.is_none() => input = Some(path.into()),
            extra => return Err(usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let input = input.ok_or_else(|| usage("redact needs an input file"))?;
    let output = output.ok_or_else(|| usage("redact needs -o OUT"))?;
    let scanning = shapes.is_empty() || force_scan;
    let regions = shapes
        .into_iter()
        .map(|s| Region::new(s, pad))
        .collect::<Result<Vec<_>, _>>()?;
    let format = match format {
        Some(f) => f,
        None => format_from_extension(&output)?,
    };
    if same_file(&input, &output) {
        return Err(usage(
            "OUT is the input file: the original is never overwritten",
        ));
    }
    if report.as_deref().is_some_and(|r| same_file(&input, r)) {
        return Err(usage(
            "--report names the input file: the original is never overwritten",
        ));
    }
    let bytes = std::fs::read(&input)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?;
    let image = crate::imaging::decode(&bytes)?;
    let (findings, documents) = if scanning {
        let dir = models_dir(models);
        let engine = crate::detection::ocr::Ocr::load_dir(&dir)?;
        let ocr = engine.read(&image, &mut |_, _| {})?;
        let mut findings = crate::pii::scan(&ocr, &policy);
        findings.extend(scan_pictures(&image, &ocr, &dir, &mut None, &policy)?);
        (findings, crate::pii::pictures::id_documents(&image, &ocr))
    } else {
        (Vec::new(), Vec::new())
    };
    let text_regions: Vec<Region> = findings.iter().map(crate::finding_region).collect();
    let (width, height) = (image.width, image.height);
    let masked = crate::redact_decoded(
        image,
        &[(&text_regions, text_style), (&regions, style)],
        format,
        fresh_seed(),
    )?;
    write_atomically(&output, &masked)?;
    if let Some(report) = report {
        write_atomically(
            &report,
            &report_json(&input, width, height, &findings, &documents)?,
        )?;
    }
    if scanning {
        eprintln!(
            "{}: masked {} finding(s){}",
            input.display(),
            findings.len(),
            if regions.is_empty() {
                String::new()
            } else {
                format!(" and {} region(s)", regions.len())
            }
        );
    }
    Ok(())
}

/// The JSON a scan writes for one image: its findings and the identity documents it shows.
fn report_json(
    input: &Path,
    width: u32,
    height: u32,
    findings: &[crate::pii::Finding],
    documents: &[crate::pii::pictures::DocumentSeen],
) -> Result<Vec<u8>, Error> {
    let file = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let value = serde_json::json!({
        "file": file, "width": width, "height": height, "findings": findings, "documents": documents
    });
    serde_json::to_vec_pretty(&value).map_err(|e| Error::Io(e.to_string()))
}

fn scan(args: &[String]) -> Result<(), Failure> {
    let (mut inputs, mut out_dir, mut policy, mut models, mut cache) = (
        Vec::<PathBuf>::new(),
        None::<PathBuf>,
        Policy::default(),
        None,
        None::<PathBuf>,
    );
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--out-dir" => out_dir = Some(take_value(arg, &mut it)?.into()),
            "--policy" => policy = Policy::parse(take_value(arg, &mut it)?).map_err(usage)?,
            "--models" => models = Some(PathBuf::from(take_value(arg, &mut it)?)),
            "--ocr-cache" => cache = Some(PathBuf::from(take_value(arg, &mut it)?)),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(usage(format!("unknown option {flag}")))
            }
            path => inputs.push(path.into()),
        }
    }
    if inputs.is_empty() {
        return Err(usage("scan needs at least one input file"));
    }
    let out_dir = out_dir.ok_or_else(|| usage("scan needs --out-dir DIR"))?;
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", out_dir.display())))?;
    if let Some(c) = &cache {
        std::fs::create_dir_all(c)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", c.display())))?;
    }
    let mut engine = None;
    let mut faces = None;
    let mut failed = 0;
    for input in &inputs {
        let stem = input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let result = (|| -> Result<usize, Failure> {
            let ocr = read_text(
                input,
                cache.as_deref(),
                &models_dir(models.clone()),
                &mut engine,
            )?;
            let mut findings = crate::pii::scan(&ocr, &policy);
            let image = crate::imaging::decode(
                &std::fs::read(input)
                    .map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?,
            )?;
            findings.extend(scan_pictures(
                &image,
                &ocr,
                &models_dir(models.clone()),
                &mut faces,
                &policy,
            )?);
            let out = out_dir.join(format!("{stem}.json"));
            if same_file(input, &out) {
                return Err(usage(format!(
                    "{} would overwrite the input",
                    out.display()
                )));
            }
            let documents = crate::pii::pictures::id_documents(&image, &ocr);
            write_atomically(
                &out,
                &report_json(input, ocr.width, ocr.height, &findings, &documents)?,
            )?;
            Ok(findings.len())
        })();
        match result {
            Ok(n) => println!("{}: {n} finding(s)", input.display()),
            Err(f) => {
                eprintln!("{}: {}", input.display(), f.message);
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(Failure {
            message: format!("{failed} of {} file(s) could not be scanned", inputs.len()),
            status: 1,
        });
    }
    Ok(())
}

fn video(args: &[String]) -> Result<(), Failure> {
    let (mut dir, mut out, mut fps, mut policy, mut models, mut cache) = (
        None::<PathBuf>,
        None::<PathBuf>,
        30.0f32,
        Policy::default(),
        None,
        None::<PathBuf>,
    );
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--out" | "-o" => out = Some(take_value(arg, &mut it)?.into()),
            "--fps" => {
                let v = take_value(arg, &mut it)?;
                fps = v
                    .parse()
                    .ok()
                    .filter(|f: &f32| f.is_finite() && *f > 0.0)
                    .ok_or_else(|| usage(format!("--fps takes a positive number, got {v:?}")))?;
            }
            "--policy" => policy = Policy::parse(take_value(arg, &mut it)?).map_err(usage)?,
            "--models" => models = Some(PathBuf::from(take_value(arg, &mut it)?)),
            "--ocr-cache" => cache = Some(PathBuf::from(take_value(arg, &mut it)?)),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(usage(format!("unknown option {flag}")))
            }
            path if dir.is_none() => dir = Some(path.into()),
            extra => return Err(usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let dir = dir.ok_or_else(|| usage("video needs a folder of frames"))?;
    let out = out.ok_or_else(|| usage("video needs --out R.json"))?;
    let mut frames: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("png" | "jpg" | "jpeg")
            )
        })
        .collect();
    frames.sort();
    if frames.is_empty() {
        return Err(Failure {
            message: format!("{} holds no PNG or JPEG frames", dir.display()),
            status: 1,
        });
    }
    if let Some(c) = &cache {
        std::fs::create_dir_all(c)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", c.display())))?;
    }
    let models = models_dir(models);
    let (mut engine, mut scan, mut last) = (
        None,
        None::<crate::video::VideoScan>,
        None::<(PathBuf, Image)>,
    );
    let started = std::time::Instant::now();
    let mut faces = None;
    // The previous frame read and its text: a frame changed only in places is looked at
    // again only there (as the page does).
    let mut previous: Option<(
        Image,
        crate::detection::ocr::OcrResult,
        Vec<crate::detection::faces::Face>,
    )> = None;
    let mut read = |path: &Path,
                    image: Image,
                    engine: &mut Option<crate::detection::ocr::Ocr>|
     -> Result<Vec<crate::pii::Finding>, Failure> {
        let again = match (&previous, engine.as_ref()) {
            (Some((before, earlier, _)), Some(e)) => e.reread(
                before,
                &earlier.lines,
                earlier.timings.scale,
                &image,
                &mut |_, _| {},
            )?,
            _ => None,
        };
        let ocr = match again {
            Some(ocr) => ocr,
            None => read_text(path, cache.as_deref(), &models, engine)?,
        };
        let mut findings = crate::pii::scan(&ocr, &policy);
        let (found, seen) = scan_pictures_after(
            &image,
            &ocr,
            &models,
            &mut faces,
            &policy,
            previous.as_ref().map(|(b, _, f)| (b, f.as_slice())),
        )?;
        findings.extend(found);
        previous = Some((image, ocr, seen));
        Ok(findings)
    };
    for path in &frames {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
        let image = crate::imaging::decode(&bytes)
            .map_err(|e| Failure::from(Error::BadFrame(format!("{}: {e}", path.display()))))?;
        let s = match &mut scan {
            Some(s) => s,
            None => scan.insert(crate::video::VideoScan::new(
                image.width,
                image.height,
                fps,
            )?),
        };
        if (image.width, image.height) != (s.width, s.height) {
            return Err(Error::BadFrame(format!(
                "{} is {}×{}, the first frame {}×{}",
                path.display(),
                image.width,
                image.height,
                s.width,
                s.height
            ))
            .into());
        }
        if s.push_rgba(&image.rgba, image.width as usize * 4)? {
            let i = s.frame_count() - 1;
            let findings = read(path, image.clone(), &mut engine)?;
            s.add_findings(i, findings)?;
        }
        last = Some((path.clone(), image));
    }
    let mut scan = scan.expect("at least one frame");
    if scan.needs_last() {
        let i = scan.frame_count() - 1;
        let (path, image) = last.expect("at least one frame");
        let findings = read(&path, image, &mut engine)?;
        scan.add_findings(i, findings)?;
    }
    let result = scan.finish();
    let json = serde_json::json!({
        "width": result.width, "height": result.height, "fps": result.fps, "frame_count": result.frame_count,
        "keys": result.keys, "tracks": result.tracks, "frames": result.frames(),
    });
    write_atomically(
        &out,
        &serde_json::to_vec(&json).map_err(|e| Error::Io(e.to_string()))?,
    )?;
    println!(
        "{}: {} frames, {} read, {} tracks, {:.1} s",
        dir.display(),
        result.frame_count,
        result.keys.len(),
        result.tracks.len(),
        started.elapsed().as_secs_f32()
    );
    Ok(())
}

fn format_from_extension(path: &Path) -> Result<ExportFormat, Failure> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(ExportFormat::Png),
        Some("jpg" | "jpeg") => Ok(ExportFormat::Jpeg {
            quality: crate::export::DEFAULT_JPEG_QUALITY,
        }),
        _ => Err(usage(format!(
            "cannot tell the format of {}: name it .png or .jpg, or pass --format",
            path.display()
        ))),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Writes next to the target and renames, so a failure never leaves half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::Io(format!("{} is not a file name", path.display())))?;
    let tmp = path.with_file_name(format!(".{}.kuronuri-tmp", name.to_string_lossy()));
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::Io(format!("cannot write {}: {e}", path.display()))
        })
}

/// A secret random seed for the mosaic noise: std's hasher keys come from the operating
/// system's random source.
pub fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// Where the OCR models are: `--models`, `$KURONURI_MODELS`, or `www/models` here.
pub fn models_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("KURONURI_MODELS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("www/models"))
}

fn ocr(args: &[String]) -> Result<(), Failure> {
    let (mut input, mut json, mut models, mut show_layout, mut cache) =
        (None::<PathBuf>, false, None, false, None::<PathBuf>);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--layout" => show_layout = true,
            "--ocr-cache" => cache = Some(PathBuf::from(take_value(arg, &mut it)?)),
            "--models" => models = Some(PathBuf::from(take_value(arg, &mut it)?)),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(usage(format!("unknown option {flag}")))
            }
            path if input.is_none() => input = Some(path.into()),
            extra => return Err(usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let input = input.ok_or_else(|| usage("ocr needs an input file"))?;
    let result = read_text(&input, cache.as_deref(), &models_dir(models), &mut None)?;
    if show_layout {
        print_layout(&result);
    } else if json {
        println!(
            "{}",
            serde_json::to_string(&result).map_err(|e| Error::Io(e.to_string()))?
        );
    } else {
        for line in &result.lines {
            println!("{}", line.text);
        }
    }
    Ok(())
}

fn faces(args: &[String]) -> Result<(), Failure> {
    let (mut input, mut json, mut models) = (None::<PathBuf>, false, None);
    let mut options = crate::detection::faces::FaceOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--models" => models = Some(PathBuf::from(take_value(arg, &mut it)?)),
            "--min-face" | "--threshold" => {
                let v = take_value(arg, &mut it)?;
                let n: f32 = v
                    .parse()
                    .ok()
                    .filter(|n: &f32| n.is_finite() && *n > 0.0)
                    .ok_or_else(|| usage(format!("{arg} takes a positive number, got {v:?}")))?;
                if arg == "--min-face" {
                    options.min_face = n;
                } else {
                    options.threshold = n;
                }
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(usage(format!("unknown option {flag}")))
            }
            path if input.is_none() => input = Some(path.into()),
            extra => return Err(usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let input = input.ok_or_else(|| usage("faces needs an input file"))?;
    let bytes = std::fs::read(&input)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?;
    let image = crate::imaging::decode(&bytes)?;
    let detector = crate::detection::faces::FaceDetector::load_dir(&models_dir(models))?;
    let (faces, timings) = detector.detect(&image, &options, &[])?;
    if json {
        let value = serde_json::json!({
            "width": image.width, "height": image.height, "faces": faces, "timings": timings
        });
        println!("{value}");
    } else {
        for f in &faces {
            println!(
                "{:.0},{:.0},{:.0},{:.0} score {:.2}",
                f.x0,
                f.y0,
                f.x1 - f.x0,
                f.y1 - f.y0,
                f.score
            );
        }
        eprintln!(
            "{} face(s); model input {}x{}, {:.0} ms (model {:.0} ms)",
            faces.len(),
            timings.input_width,
            timings.input_height,
            timings.prepare_ms + timings.model_ms + timings.decode_ms,
            timings.model_ms
        );
    }
    Ok(())
}

/// Findings that are not text (faces, ID card photos), the face model loaded on first need.
fn scan_pictures(
    image: &crate::imaging::Image,
    ocr: &crate::detection::ocr::OcrResult,
    models: &Path,
    detector: &mut Option<crate::detection::faces::FaceDetector>,
    policy: &Policy,
) -> Result<Vec<crate::pii::Finding>, Error> {
    Ok(scan_pictures_after(image, ocr, models, detector, policy, None)?.0)
}

/// As [`scan_pictures`]; with `previous` (the frame looked at before and its faces) the face
/// model looks only where `image` changed since. Also returns the faces found.
fn scan_pictures_after(
    image: &crate::imaging::Image,
    ocr: &crate::detection::ocr::OcrResult,
    models: &Path,
    detector: &mut Option<crate::detection::faces::FaceDetector>,
    policy: &Policy,
    previous: Option<(&Image, &[crate::detection::faces::Face])>,
) -> Result<(Vec<crate::pii::Finding>, Vec<crate::detection::faces::Face>), Error> {
    use crate::detection::faces::{FaceDetector, FaceOptions};
    if detector.is_none() {
        *detector = Some(FaceDetector::load_dir(models)?);
    }
    let detector = detector.as_ref().unwrap();
    let options = FaceOptions::default();
    let text = crate::detection::photo_areas::sure_text(&ocr.lines);
    let again = match previous {
        Some((before, earlier)) => {
            detector.detect_changed(before, image, earlier, &options, &text)?
        }
        None => None,
    };
    let (faces, _) = match again {
        Some(found) => found,
        None => detector.detect(image, &options, &text)?,
    };
    let findings = crate::pii::pictures::scan_pictures(image, ocr, &faces, policy);
    Ok((findings, faces))
}

/// Reads the text of `input`, or takes it from `cache` (`<stem>.ocr.json`) when it is there
/// (and puts it there when it is not). The models are loaded on first need.
fn read_text(
    input: &Path,
    cache: Option<&Path>,
    models: &Path,
    engine: &mut Option<crate::detection::ocr::Ocr>,
) -> Result<crate::detection::ocr::OcrResult, Error> {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cached = cache.map(|c| c.join(format!("{stem}.ocr.json")));
    if let Some(bytes) = cached.as_ref().and_then(|p| std::fs::read(p).ok()) {
        return serde_json::from_slice(&bytes)
            .map_err(|e| Error::Io(format!("bad OCR cache file: {e}")));
    }
    let bytes = std::fs::read(input)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?;
    let image = crate::imaging::decode(&bytes)?;
    if engine.is_none() {
        *engine = Some(crate::detection::ocr::Ocr::load_dir(models)?);
    }
    let ocr = engine.as_ref().unwrap().read(&image, &mut |_, _| {})?;
    if let Some(p) = &cached {
        write_atomically(
            p,
            &serde_json::to_vec(&ocr).map_err(|e| Error::Io(e.to_string()))?,
        )?;
    }
    Ok(ocr)
}

/// Rows, segments and tables as the personal-data rules see them (for people tuning them).
fn print_layout(ocr: &crate::detection::ocr::OcrResult) {
    let layout = crate::detection::layout::layout(&ocr.lines);
    println!(
        "angle {:.3} rad, line height {:.1} px",
        layout.angle, layout.line_height
    );
    for (r, row) in layout.rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .map(|&s| {
                let g = &layout.segments[s];
                format!("[{:.0}-{:.0}] {}", g.x0, g.x1, g.text)
            })
            .collect();
        println!(
            "row {r} y={:.0}: {}",
            layout.segments[row[0]].yc(),
            cells.join(" | ")
        );
    }
    for t in layout.tables(
        &ocr.lines,
        crate::pii::labels::label,
        crate::pii::labels::near_label,
    ) {
        let heads: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("{} {:?}", c.label, c.kind))
            .collect();
        let rows: std::collections::BTreeSet<usize> = t.cells.iter().map(|c| c.row).collect();
        println!(
            "table at row {}: {} cells in {} rows ({:?}..{:?}); columns: {}",
            t.header_row,
            t.cells.len(),
            rows.len(),
            rows.first(),
            rows.last(),
            heads.join(", ")
        );
    }
}

fn serve_command(args: &[String]) -> Result<(), Failure> {
    let mut options = serve::Options {
        root: PathBuf::from("www"),
        host: "127.0.0.1".into(),
        port: 8080,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--root" => options.root = take_value(arg, &mut it)?.into(),
            "--host" => options.host = take_value(arg, &mut it)?.clone(),
            "--port" => {
                let v = take_value(arg, &mut it)?;
                options.port = v.parse().map_err(|_| {
                    usage(format!("--port takes a number from 0 to 65535, got {v:?}"))
                })?;
            }
            other => return Err(usage(format!("unexpected argument {other:?} for serve"))),
        }
    }
    serve::serve(&options)?;
    Ok(())
}
