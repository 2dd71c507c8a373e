// Interface text in Japanese and English. The language follows the browser unless the person
// picks one; the choice is kept in this browser only (localStorage).

const TEXT = {
  ja: {
    title: '黒塗り — 個人情報をこの端末の中で隠す',
    privacy: 'ファイルはこの端末から一切送信されません。読み込み・黒塗り・保存はすべてこのブラウザの中で行われます。',
    drop_here: '画像か動画をここにドロップ、貼り付け(Ctrl+V)、または',
    choose_file: 'ファイルを選ぶ',
    formats: '画像は PNG・JPEG・WebP(5000万画素まで)、動画は MP4・WebM に対応',
    reading: '画像を読み込んでいます…',
    loading_engine: '処理エンジンを準備しています…',
    hint: 'ドラッグで隠す範囲を囲みます。枠はドラッグで移動、角で大きさを変更、Delete キーか × で削除できます。',
    style: '隠し方',
    style_fill: '塗りつぶし(文字に推奨)',
    style_mosaic: 'モザイク',
    style_blur: 'ぼかし',
    style_note: '文字はモザイクやぼかしでも元に戻せないよう、元の文字を使わない乱数のブロックで隠します。',
    format: '保存形式',
    save: '保存',
    saving: '保存しています…',
    saved: '{name} を保存しました(メタデータなし)。',
    boxes: '範囲: {n} 個',
    clear_boxes: 'すべての範囲を消す',
    open_other: '別の画像を開く',
    delete_box: 'この範囲を削除',
    no_boxes: '隠す範囲がありません。画像の上をドラッグして囲んでください。',
    licenses: 'ライセンス',
    ocr_toggle: '読み取った文字を表示(OCR・確認用)',
    ocr_loading: '文字認識モデルを読み込んでいます…',
    ocr_reading: '文字を読み取っています… {done}/{total} 行',
    ocr_done: '{n} 行の文字を読み取りました({s} 秒)。',
    policy: '隠す対象',
    preset_everything: '個人に関わる情報すべて',
    preset_identifiers: '個人を特定する情報のみ',
    preset_insurance_copy: '保険証のコピー（記号・番号・保険者番号・QRコードのみ）',
    pictures_failed: '顔・QRコードなどの確認ができませんでした（{detail}）。文字の個人情報は表示しています。',
    show_original: '元の画像を表示',
    review_hint: '見つかった個人情報は色付きの枠で示され、保存時に文字は塗りつぶし、顔・証明写真・QRコードなどはぼかし（モザイクを選べばモザイク）で隠されます。枠か右の一覧をクリックすると対象から外す/戻すことができます。見落としはドラッグで囲んでください。',
    panel_title: '見つかった個人情報',
    tier_must: '個人を特定する情報',
    tier_may: '氏名と並ぶと個人情報になる属性',
    scan_loading: '個人情報を探す準備をしています…',
    scan_reading: '文字を読み取り、個人情報を探しています… {done}/{total} 行',
    scan_pictures: '顔・証明写真・QRコード・印影を探しています…',
    documents_seen: '写っている証明書: {list}。',
    insurance_hint: '保険証のコピーなら「保険証のコピー」を選ぶと記号・番号・保険者番号とQRコードだけを隠します。',
    doc_my_number_card: 'マイナンバーカード',
    doc_drivers_licence: '運転免許証',
    doc_insurance_card: '健康保険証',
    doc_residence_card: '在留カード',
    doc_passport: '旅券',
    side_front: '（表面）',
    side_back: '（裏面・個人番号）',
    my_number_back_hint: 'マイナンバーカードの裏面には個人番号が写っています。個人番号は法律で決められた手続きのほかには集めたり渡したりできません。',
    scan_done: '{n} 件見つかりました({on} 件を隠します・{s} 秒)。',
    scan_none: '個人情報は見つかりませんでした({s} 秒)。見落としがないか画像を確認し、必要ならドラッグで囲んでください。',
    scan_failed: '自動検出に失敗しました。手動で範囲を囲んでください。({detail})',
    findings_count: '{n} 件',
    err_not_an_image: '画像ファイルではありません。PNG・JPEG・WebP のファイルを選んでください。',
    err_unsupported_format: 'この形式({detail})には対応していません。PNG・JPEG・WebP に変換してから開いてください。',
    err_corrupt: '画像が壊れているか、途中で切れています。元のファイルを確認してください。',
    err_empty: '画像に画素がありません(幅か高さが 0 です)。',
    err_too_large: '画像が大きすぎます({width}×{height} 画素)。5000万画素以下に縮小してから開いてください。',
    err_file_too_large: 'ファイルが大きすぎます({size} MB)。200 MB 以下のファイルを選んでください。',
    err_engine: '処理エンジンを起動できませんでした。ページを再読み込みしてください。({detail})',
    err_generic: '処理できませんでした: {detail}',
    video_style: '顔・手で囲んだ範囲の隠し方',
    video_draw: '範囲を描く',
    video_draw_done: '描いた範囲を確定',
    video_hold: '描いた範囲を保つ長さ',
    video_hold_end: '最後まで',
    video_save: '動画を保存',
    cancel: 'キャンセル',
    video_hint: '動画を読み込むと、画面が変わったフレームだけを読み取り、見つけた個人情報を前後のフレームにも追跡して隠します。下のタイムラインの色の帯が個人情報の映っている時間です(クリックで移動)。一覧で追跡ごとに外す/戻すことができ、「範囲を描く」で一時停止したフレームに範囲を描いて一定時間隠せます。',
    video_manual: '手で囲んだ範囲',
    video_manual_box: '範囲 {from}–{to}',
    video_jump: '表示',
    video_scan_start: '動画を読み込んでいます…',
    video_scan_progress: '確認中: {frames} フレーム · {speed} 倍速 · 残り約 {left} 秒 · 読み取り {read} 枚',
    video_export_progress: '書き出し中: {frames} フレーム · {speed} 倍速 · 残り約 {left} 秒',
    video_scan_done: '{n} 件の個人情報を追跡しました({on} 件を隠します)。{frames} フレーム中 {read} フレームを読み取りました({s} 秒)。',
    video_scan_none: '個人情報は見つかりませんでした({frames} フレーム・{s} 秒)。動画を再生して確認し、必要なら範囲を描いてください。',
    video_scan_failed: '動画の確認に失敗しました。({detail})',
    video_export_failed: '動画を書き出せませんでした。({detail})',
    video_saved: '{name} を保存しました({s} 秒・メタデータなし)。',
    video_cancelled: '中止しました。',
    err_not_a_video: 'この動画は読み込めません。MP4 か WebM のファイルを選んでください。',
    err_unsupported_codec: 'このブラウザはこの動画の形式を扱えません。({detail})',
  },
  en: {
    title: 'Kuronuri — hide personal data without it leaving your device',
    privacy: 'Your files never leave this device. Opening, masking and saving all happen inside this browser.',
    drop_here: 'Drop an image or a video here, paste it (Ctrl+V), or',
    choose_file: 'choose a file',
    formats: 'Images: PNG, JPEG and WebP, up to 50 megapixels. Videos: MP4 and WebM',
    reading: 'Reading the image…',
    loading_engine: 'Starting the engine…',
    hint: 'Drag on the image to mark an area to hide. Drag a box to move it, its corners to resize, and press Delete or × to remove it.',
    style: 'Hide with',
    style_fill: 'Solid fill (best for text)',
    style_mosaic: 'Mosaic',
    style_blur: 'Blur',
    style_note: 'So that text cannot be recovered, mosaic and blur are made of random blocks, not of the text under them.',
    format: 'Save as',
    save: 'Save',
    saving: 'Saving…',
    saved: 'Saved {name} (no metadata).',
    boxes: 'Areas: {n}',
    clear_boxes: 'Remove all areas',
    open_other: 'Open another image',
    delete_box: 'Remove this area',
    no_boxes: 'Nothing is marked yet. Drag on the image to mark an area to hide.',
    licenses: 'Licences',
    ocr_toggle: 'Show the text read (OCR, for checking)',
    ocr_loading: 'Loading the text-reading models…',
    ocr_reading: 'Reading text… {done}/{total} lines',
    ocr_done: 'Read {n} lines of text ({s} s).',
    policy: 'Hide',
    preset_everything: 'Everything personal',
    preset_identifiers: 'Identifiers only',
    preset_insurance_copy: 'Insurance card copy (記号・番号・保険者番号 and QR code only)',
    pictures_failed: 'Faces, QR codes and the like could not be checked ({detail}). The personal data in the text is shown.',
    show_original: 'Show the original',
    review_hint: 'Personal data found is outlined in colour. When you save, text is filled solid; faces, ID photos, QR codes and the like are blurred (or pixelated if you choose mosaic). Click an outline or a row on the right to leave it out or take it back. Drag around anything that was missed.',
    panel_title: 'Personal data found',
    tier_must: 'Identifies a person',
    tier_may: 'Personal beside a name',
    scan_loading: 'Getting ready to look for personal data…',
    scan_reading: 'Reading text and looking for personal data… {done}/{total} lines',
    scan_pictures: 'Looking for faces, ID photos, QR codes and seals…',
    documents_seen: 'Identity documents shown: {list}.',
    insurance_hint: 'For a copy of an insurance card, choose "Insurance card copy" to hide only the 記号・番号・保険者番号 and the QR code.',
    doc_my_number_card: 'My Number card',
    doc_drivers_licence: 'driving licence',
    doc_insurance_card: 'health insurance card',
    doc_residence_card: 'residence card',
    doc_passport: 'passport',
    side_front: ' (front)',
    side_back: ' (back, with the My Number)',
    my_number_back_hint: 'The back of a My Number card shows the 個人番号, which may only be collected or passed on for the procedures the law names.',
    scan_done: 'Found {n} ({on} to be hidden, {s} s).',
    scan_none: 'No personal data was found ({s} s). Check the image yourself and drag around anything to hide.',
    scan_failed: 'Automatic detection failed; mark areas by hand. ({detail})',
    findings_count: '{n}',
    err_not_an_image: 'This is not an image. Choose a PNG, JPEG or WebP file.',
    err_unsupported_format: '{detail} images are not supported. Convert it to PNG, JPEG or WebP first.',
    err_corrupt: 'The image is damaged or cut short. Check the original file.',
    err_empty: 'The image has no pixels (its width or height is 0).',
    err_too_large: 'The image is too large ({width}×{height} pixels). Shrink it to 50 megapixels or less first.',
    err_file_too_large: 'The file is too large ({size} MB). Choose a file of 200 MB or less.',
    err_engine: 'The engine could not start. Reload the page. ({detail})',
    err_generic: 'Could not process this: {detail}',
    video_style: 'How faces and drawn boxes are hidden',
    video_draw: 'Draw boxes',
    video_draw_done: 'Keep the drawn boxes',
    video_hold: 'Hold drawn boxes for',
    video_hold_end: 'to the end',
    video_save: 'Save video',
    cancel: 'Cancel',
    video_hint: 'Kuronuri reads only the frames where the picture changed and follows what it finds into the frames before and after. Coloured bars on the timeline below show when personal data is on screen (click to jump). Turn a track off or on in the list; "Draw boxes" pauses on a frame and hides what you draw for a while.',
    video_manual: 'Boxes drawn by hand',
    video_manual_box: 'Box {from}–{to}',
    video_jump: 'show',
    video_scan_start: 'Opening the video…',
    video_scan_progress: 'Checking: {frames} frames · {speed}× real time · about {left} s left · {read} frames read',
    video_export_progress: 'Writing: {frames} frames · {speed}× real time · about {left} s left',
    video_scan_done: '{n} pieces of personal data tracked ({on} will be hidden). Read {read} of {frames} frames ({s} s).',
    video_scan_none: 'No personal data found ({frames} frames, {s} s). Play the video to check, and draw boxes if needed.',
    video_scan_failed: 'Checking the video failed. ({detail})',
    video_export_failed: 'Could not write the video. ({detail})',
    video_saved: 'Saved {name} ({s} s, no metadata).',
    video_cancelled: 'Cancelled.',
    err_not_a_video: 'This video cannot be read. Choose an MP4 or WebM file.',
    err_unsupported_codec: 'This browser cannot handle this video format. ({detail})',
  },
};

export const LANGUAGES = { ja: '日本語', en: 'English' };
const KEY = 'kuronuri.lang';

function initialLanguage() {
  try {
    const kept = localStorage.getItem(KEY);
    if (kept && TEXT[kept]) return kept;
  } catch { /* storage may be off */ }
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (TEXT[base]) return base;
  }
  return 'en';
}

let current = initialLanguage();

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!TEXT[lang]) return;
  current = lang;
  try { localStorage.setItem(KEY, lang); } catch { /* storage may be off */ }
  translatePage();
}

/** The text for `key` in the current language, with `{name}` placeholders filled. */
export function t(key, params = {}) {
  const text = TEXT[current][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** Fills every element with `data-i18n` (text) or `data-i18n-title` / `-aria` attributes. */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  document.title = t('title');
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  document.dispatchEvent(new CustomEvent('kuronuri:language'));
}

/** A message for an error from the engine (`{code, message, …}`) in the current language. */
// The core gives each finding's reason in English; these turn the common ones into Japanese.
const REASONS_JA = [
  [/^after label 番号 on a health insurance card$/, '保険証の「番号」の後の値'],
  [/^column under an unreadable header \((.*)\) in a table of personal data$/, '個人情報の表で見出しが読めない列（$1）'],
  [/^the whole column under (.*): (\d+) of its (\d+) rows could be read$/, '「$1」列全体（$3 行中 $2 行のみ読み取れたため）'],
  [/^column under (.*)$/, '「$1」列の値'],
  [/^continues the address after label (.*)$/, '「$1」の住所の続き'],
  [/^after label (.*)$/, '「$1」の後の値'],
  [/^below label (.*)$/, '「$1」の下の値'],
  [/^continues the address above$/, '上の行の住所の続き'],
  [/^e-mail address$/, 'メールアドレスの形式'],
  [/^mobile or IP phone number$/, '携帯・IP電話番号の形式'],
  [/^landline number$/, '固定電話番号の形式'],
  [/^\+81 phone number$/, '+81 から始まる電話番号'],
  [/^North American phone number$/, '北米の電話番号の形式'],
  [/^postal code after 〒$/, '〒の後の郵便番号'],
  [/^12 digits with a valid My Number check digit$/, '12桁でマイナンバーの検査用数字が一致'],
  [/^card number \(issuer prefix, Luhn check\)$/, 'カード番号（発行者番号とLuhn検査が一致）'],
  [/^residence card number shape$/, '在留カード番号の形式'],
  [/^passport number shape$/, '旅券番号の形式'],
  [/^US social security number shape$/, '米国社会保障番号の形式'],
  [/^age$/, '年齢'],
  [/^date followed by 生まれ$/, '「生まれ」が続く日付'],
  [/^date in the Shōwa era or before$/, '昭和以前の日付'],
  [/^prefecture followed by a town and block number$/, '都道府県名に続く町名・番地'],
  [/^city or ward followed by a block number$/, '市区名に続く番地'],
  [/^surname and given name in the name lists$/, '姓名辞書にある姓と名'],
  [/^surname in the name lists, then a given name$/, '姓名辞書にある姓と、続く名'],
  [/^name before an honorific$/, '敬称（様・さん・先生など）の前の名前'],
  [/^surname and given-name readings in the name lists$/, '姓名辞書にある読み（カナ）'],
  [/^name after a title \(Dr\., Mr\., Ms\.\)$/, '敬称（Dr. Mr. Ms.）の後の名前'],
  [/^first name and surname in the name lists$/, '英語の姓名辞書にある名前'],
  [/^illness or condition \(要配慮個人情報\)$/, '病名・健康状態（要配慮個人情報）'],
  [/^disease name in a medical field$/, '医療の欄にある病名'],
  [/^第…号 licence number with a valid check digit$/, '第…号の免許証番号（検査用数字が一致）'],
  [/^第…号 with 12 digits \(licence number\)$/, '第…号の12桁（免許証番号）'],
  [/^face \(detector score (.*)\)$/, '顔（検出スコア $1）'],
  [/^the holder's photo \(the page shows (.*)\)$/, '本人の顔写真（「$1」と書かれた証明書）'],
  [/^QR code$/, 'QRコード（内容を読み取り済み）'],
  [/^QR code \(could not be decoded\)$/, 'QRコード（内容は読み取れず）'],
  [/^barcode$/, 'バーコード'],
  [/^red seal impression \(印影\)$/, '朱色の印影'],
  [/^signature space after (.*)$/, '「$1」の後の署名欄'],
  [/^where a seal is pressed \(印\)$/, '押印欄（印）'],
];

/** A finding's reason in the interface's language (parts joined by "; "). */
export function reasonText(reason) {
  if (language() !== 'ja') return reason;
  return reason.split('; ').map((part) => {
    for (const [re, ja] of REASONS_JA) if (re.test(part)) return part.replace(re, ja);
    return part;
  }).join('、');
}

export function errorText(error) {
  const code = error?.code;
  const key = `err_${code}`;
  if (code && (TEXT[current][key] || TEXT.en[key])) {
    const detail = code === 'unsupported_format' ? (error.message || '').split(' ')[0] : error.message;
    return t(key, { ...error, detail });
  }
  return t('err_generic', { detail: error?.message || String(error) });
}
