//! The command line: `kuronuri redact` and `kuronuri serve`. Errors are one line on standard
//! error and a non-zero exit status (1 for a failure, 2 for a usage mistake).

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::export::ExportFormat;
use crate::imaging::{MaskStyle, Region};
use crate::serve;

pub const USAGE: &str = "\
usage:
  kuronuri redact IN -o OUT [--box x,y,w,h]... [--quad x1,y1,x2,y2,x3,y3,x4,y4]...
                  [--style fill|fill:#rrggbb|mosaic|blur] [--format png|jpeg[:Q]] [--pad SHARE]
  kuronuri ocr IN [--json] [--models DIR]
  kuronuri serve [--root DIR] [--port N] [--host ADDR]

redact masks the given regions of IN (PNG, JPEG or WebP) and writes OUT afresh, with no
metadata; the format follows OUT's extension unless --format is given. IN is only read.
ocr prints the text lines of IN (or, with --json, lines with their quads and every
character's quad). Models are read from --models, $KURONURI_MODELS or ./www/models.
serve serves the page (default root ./www, port 8080, host 127.0.0.1).";

/// A failure, with the exit status it deserves.
pub struct Failure {
    pub message: String,
    pub status: i32,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), status: 2 }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure { message: e.to_string(), status: 1 }
    }
}

/// Runs the command line with `args` (without the program name).
pub fn run(args: &[String]) -> Result<(), Failure> {
    match args.first().map(String::as_str) {
        Some("redact") => redact(&args[1..]),
        Some("serve") => serve_command(&args[1..]),
        Some("ocr") => ocr(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some("-V" | "--version") => {
            println!("kuronuri {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some(other) => Err(usage(format!("unknown command {other:?} (try kuronuri --help)"))),
        None => Err(usage("no command given (try kuronuri --help)")),
    }
}

/// Splits `--flag value` pairs from positional arguments.
fn take_value<'a>(flag: &str, it: &mut impl Iterator<Item = &'a String>) -> Result<&'a String, Failure> {
    it.next().ok_or_else(|| usage(format!("{flag} needs a value")))
}

fn numbers(flag: &str, text: &str, count: usize) -> Result<Vec<f32>, Failure> {
    let values: Result<Vec<f32>, _> = text.split(',').map(|v| v.trim().parse::<f32>()).collect();
    match values {
        Ok(v) if v.len() == count && v.iter().all(|x| x.is_finite()) => Ok(v),
        _ => Err(usage(format!("{flag} takes {count} comma-separated numbers, got {text:?}"))),
    }
}

fn redact(args: &[String]) -> Result<(), Failure> {
    let mut input: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut shapes = Vec::new();
    let mut style = MaskStyle::default();
    let mut format: Option<ExportFormat> = None;
    let mut pad = crate::imaging::region::DEFAULT_PADDING;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-o" | "--output" => output = Some(take_value(arg, &mut it)?.into()),
            "--box" => {
                let v = numbers(arg, take_value(arg, &mut it)?, 4)?;
                shapes.push(crate::imaging::Shape::Rect { x: v[0], y: v[1], w: v[2], h: v[3] });
            }
            "--quad" => {
                let v = numbers(arg, take_value(arg, &mut it)?, 8)?;
                shapes.push(crate::imaging::Shape::Polygon(v.chunks(2).map(|p| [p[0], p[1]]).collect()));
            }
            "--style" => style = take_value(arg, &mut it)?.parse()?,
            "--format" => format = Some(take_value(arg, &mut it)?.parse()?),
            "--pad" => {
                pad = take_value(arg, &mut it)?.parse().map_err(|_| usage("--pad takes a number such as 0.15"))?;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => return Err(usage(format!("unknown option {flag}"))),
            path if input.is_none() => input = Some(path.into()),
            extra => return Err(usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let input = input.ok_or_else(|| usage("redact needs an input file"))?;
    let output = output.ok_or_else(|| usage("redact needs -o OUT"))?;
    if shapes.is_empty() {
        return Err(usage("nothing to mask: give at least one --box or --quad (automatic detection is not built yet)"));
    }
    let regions = shapes.into_iter().map(|s| Region::new(s, pad)).collect::<Result<Vec<_>, _>>()?;
    let format = match format {
        Some(f) => f,
        None => format_from_extension(&output)?,
    };
    if same_file(&input, &output) {
        return Err(usage("OUT is the input file: the original is never overwritten"));
    }
    let bytes = std::fs::read(&input).map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?;
    let masked = crate::redact_image(&bytes, &regions, style, format, fresh_seed())?;
    write_atomically(&output, &masked)?;
    Ok(())
}

fn format_from_extension(path: &Path) -> Result<ExportFormat, Failure> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Ok(ExportFormat::Png),
        Some("jpg" | "jpeg") => Ok(ExportFormat::Jpeg { quality: crate::export::DEFAULT_JPEG_QUALITY }),
        _ => Err(usage(format!("cannot tell the format of {}: name it .png or .jpg, or pass --format", path.display()))),
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
    let name = path.file_name().ok_or_else(|| Error::Io(format!("{} is not a file name", path.display())))?;
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
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

/// Where the OCR models are: `--models`, `$KURONURI_MODELS`, or `www/models` here.
pub fn models_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("KURONURI_MODELS").map(PathBuf::from)).unwrap_or_else(|| PathBuf::from("www/models"))
}

fn ocr(args: &[String]) -> Result<(), Failure> {
    let (mut input, mut json, mut models) = (None::<PathBuf>, false, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--models" => models = Some(PathBuf::from(take_value(arg, &mut it)?)),
            flag if flag.starts_with('-') && flag.len() > 1 => return Err(usage(format!("unknown option {flag}"))),
            path if input.is_none() => input = Some(path.into()),
            extra => return Err(usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let input = input.ok_or_else(|| usage("ocr needs an input file"))?;
    let bytes = std::fs::read(&input).map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?;
    let image = crate::imaging::decode(&bytes)?;
    let engine = crate::detection::ocr::Ocr::load_dir(&models_dir(models))?;
    let result = engine.read(&image, &mut |_, _| {})?;
    if json {
        println!("{}", serde_json::to_string(&result).map_err(|e| Error::Io(e.to_string()))?);
    } else {
        for line in &result.lines {
            println!("{}", line.text);
        }
    }
    Ok(())
}

fn serve_command(args: &[String]) -> Result<(), Failure> {
    let mut options = serve::Options { root: PathBuf::from("www"), host: "127.0.0.1".into(), port: 8080 };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--root" => options.root = take_value(arg, &mut it)?.into(),
            "--host" => options.host = take_value(arg, &mut it)?.clone(),
            "--port" => {
                let v = take_value(arg, &mut it)?;
                options.port = v.parse().map_err(|_| usage(format!("--port takes a number from 0 to 65535, got {v:?}")))?;
            }
            other => return Err(usage(format!("unexpected argument {other:?} for serve"))),
        }
    }
    serve::serve(&options)?;
    Ok(())
}
