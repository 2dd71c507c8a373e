//! Field labels and table headers: what the value beside or below them is.
//! Chosen with the label lists in `../shared/research/` (labels.json) and the dev set's forms.

use super::category::Category;
use super::text::key;

/// What a label says about the value it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelKind {
    /// The value is personal data of this category.
    Personal(Category),
    /// A header or label that is not personal (病棟, 単価): it still makes a row a header row.
    Plain,
    /// A code that is not a person's (商品コード, 注文番号): numbers under it are not read as
    /// My Numbers or card numbers on a check digit alone.
    Code,
}

use Category as C;
use LabelKind::{Code, Personal as P, Plain};

/// Labels, compared after NFKC with spaces removed and ASCII lower-cased.
const LABELS: &[(&str, LabelKind)] = &[
    // Names
    ("氏名", P(C::Name)),
    ("名前", P(C::Name)),
    ("お名前", P(C::Name)),
    ("御名前", P(C::Name)),
    ("姓名", P(C::Name)),
    ("氏名(漢字)", P(C::Name)),
    ("患者名", P(C::Name)),
    ("患者氏名", P(C::Name)),
    ("利用者名", P(C::Name)),
    ("利用者氏名", P(C::Name)),
    ("入居者名", P(C::Name)),
    ("生徒名", P(C::Name)),
    ("生徒氏名", P(C::Name)),
    ("児童名", P(C::Name)),
    ("児童氏名", P(C::Name)),
    ("学生氏名", P(C::Name)),
    ("保護者氏名", P(C::Name)),
    ("保護者名", P(C::Name)),
    ("申込者", P(C::Name)),
    ("申込者名", P(C::Name)),
    ("申請者", P(C::Name)),
    ("申請者氏名", P(C::Name)),
    ("契約者", P(C::Name)),
    ("契約者名", P(C::Name)),
    ("被保険者氏名", P(C::Name)),
    ("世帯主", P(C::Name)),
    ("社員名", P(C::Name)),
    ("従業員名", P(C::Name)),
    ("職員名", P(C::Name)),
    ("担当者", P(C::Name)),
    ("担当医", P(C::Name)),
    ("主治医", P(C::Name)),
    ("医師名", P(C::Name)),
    ("担任", P(C::Name)),
    ("記入者", P(C::Name)),
    ("作成者", P(C::Name)),
    ("宛名", P(C::Name)),
    ("口座名義", P(C::Name)),
    ("名義", P(C::Name)),
    ("名義人", P(C::Name)),
    ("ログイン", P(C::Name)),
    ("ログインユーザー", P(C::Name)),
    ("緊急連絡先氏名", P(C::Name)),
    ("name", P(C::Name)),
    ("fullname", P(C::Name)),
    ("firstname", P(C::Name)),
    ("lastname", P(C::Name)),
    ("givenname", P(C::Name)),
    ("surname", P(C::Name)),
    ("familyname", P(C::Name)),
    ("patient", P(C::Name)),
    ("patientname", P(C::Name)),
    ("attending", P(C::Name)),
    ("physician", P(C::Name)),
    ("doctor", P(C::Name)),
    ("provider", P(C::Name)),
    ("student", P(C::Name)),
    ("studentname", P(C::Name)),
    ("employee", P(C::Name)),
    ("employeename", P(C::Name)),
    ("applicant", P(C::Name)),
    ("guardian", P(C::Name)),
    ("cardholder", P(C::Name)),
    ("nurse", P(C::Name)),
    ("signature", P(C::Name)),
    ("署名", P(C::Name)),
    // Names in kana
    ("フリガナ", P(C::NameKana)),
    ("ふりがな", P(C::NameKana)),
    ("カナ", P(C::NameKana)),
    ("カナ氏名", P(C::NameKana)),
    ("氏名カナ", P(C::NameKana)),
    ("氏名(カナ)", P(C::NameKana)),
    ("よみがな", P(C::NameKana)),
    ("ヨミガナ", P(C::NameKana)),
    ("kana", P(C::NameKana)),
    ("furigana", P(C::NameKana)),
    // Birth, age, sex
    ("生年月日", P(C::BirthDate)),
    ("誕生日", P(C::BirthDate)),
    ("生年", P(C::BirthDate)),
    ("dateofbirth", P(C::BirthDate)),
    ("dob", P(C::BirthDate)),
    ("d.o.b.", P(C::BirthDate)),
    ("birthdate", P(C::BirthDate)),
    ("birthday", P(C::BirthDate)),
    ("年齢", P(C::Age)),
    ("満年齢", P(C::Age)),
    ("age", P(C::Age)),
    ("性別", P(C::Sex)),
    ("sex", P(C::Sex)),
    ("gender", P(C::Sex)),
    // Where and how to reach a person
    ("住所", P(C::Address)),
    ("ご住所", P(C::Address)),
    ("現住所", P(C::Address)),
    ("住所地", P(C::Address)),
    ("自宅住所", P(C::Address)),
    ("居所", P(C::Address)),
    ("本籍", P(C::Address)),
    ("本籍地", P(C::Address)),
    ("お届け先", P(C::Address)),
    ("送付先", P(C::Address)),
    ("配送先", P(C::Address)),
    ("帰省先", P(C::Address)),
    ("address", P(C::Address)),
    ("homeaddress", P(C::Address)),
    ("mailingaddress", P(C::Address)),
    ("郵便番号", P(C::PostalCode)),
    ("〒", P(C::PostalCode)),
    ("zip", P(C::PostalCode)),
    ("zipcode", P(C::PostalCode)),
    ("postalcode", P(C::PostalCode)),
    ("postcode", P(C::PostalCode)),
    ("電話", P(C::Phone)),
    ("電話番号", P(C::Phone)),
    ("tel", P(C::Phone)),
    ("連絡先", P(C::Phone)),
    ("携帯", P(C::Phone)),
    ("携帯電話", P(C::Phone)),
    ("携帯番号", P(C::Phone)),
    ("自宅電話", P(C::Phone)),
    ("緊急連絡先", P(C::Phone)),
    ("fax", P(C::Phone)),
    ("ファックス", P(C::Phone)),
    ("phone", P(C::Phone)),
    ("telephone", P(C::Phone)),
    ("mobile", P(C::Phone)),
    ("cell", P(C::Phone)),
    ("homephone", P(C::Phone)),
    ("workphone", P(C::Phone)),
    ("contact", P(C::Phone)),
    ("メール", P(C::Email)),
    ("メールアドレス", P(C::Email)),
    ("e-mail", P(C::Email)),
    ("email", P(C::Email)),
    ("mail", P(C::Email)),
    ("e-mailaddress", P(C::Email)),
    ("emailaddress", P(C::Email)),
    // Identification numbers
    ("個人番号", P(C::MyNumber)),
    ("マイナンバー", P(C::MyNumber)),
    ("mynumber", P(C::MyNumber)),
    ("individualnumber", P(C::MyNumber)),
    ("運転免許証番号", P(C::DriversLicense)),
    ("免許証番号", P(C::DriversLicense)),
    ("免許の番号", P(C::DriversLicense)),
    ("licenseno.", P(C::DriversLicense)),
    ("driver'slicense", P(C::DriversLicense)),
    ("旅券番号", P(C::Passport)),
    ("パスポート番号", P(C::Passport)),
    ("passportno.", P(C::Passport)),
    ("passportnumber", P(C::Passport)),
    ("在留カード番号", P(C::ResidenceCard)),
    ("特別永住者証明書番号", P(C::ResidenceCard)),
    ("基礎年金番号", P(C::PensionNumber)),
    ("年金番号", P(C::PensionNumber)),
    ("保険者番号", P(C::InsuranceNumber)),
    ("被保険者番号", P(C::InsuranceNumber)),
    ("記号", P(C::InsuranceNumber)),
    ("枝番", P(C::InsuranceNumber)),
    ("被保険者証番号", P(C::InsuranceNumber)),
    ("insuranceno.", P(C::InsuranceNumber)),
    ("口座番号", P(C::BankAccount)),
    ("口座", P(C::BankAccount)),
    ("accountnumber", P(C::BankAccount)),
    ("accountno.", P(C::BankAccount)),
    ("カード番号", P(C::CreditCard)),
    ("クレジットカード番号", P(C::CreditCard)),
    ("cardnumber", P(C::CreditCard)),
    ("ssn", P(C::Ssn)),
    ("socialsecuritynumber", P(C::Ssn)),
    ("患者id", P(C::PatientId)),
    ("患者番号", P(C::PatientId)),
    ("カルテ番号", P(C::PatientId)),
    ("カルテno", P(C::PatientId)),
    ("カルテno.", P(C::PatientId)),
    ("診察券番号", P(C::PatientId)),
    ("入院番号", P(C::PatientId)),
    ("外来番号", P(C::PatientId)),
    ("mrn", P(C::PatientId)),
    ("patientid", P(C::PatientId)),
    ("chartno.", P(C::PatientId)),
    ("medicalrecordnumber", P(C::PatientId)),
    ("社員番号", P(C::EmployeeId)),
    ("従業員番号", P(C::EmployeeId)),
    ("職員番号", P(C::EmployeeId)),
    ("社員id", P(C::EmployeeId)),
    ("社員no", P(C::EmployeeId)),
    ("社員no.", P(C::EmployeeId)),
    ("employeeid", P(C::EmployeeId)),
    ("employeeno.", P(C::EmployeeId)),
    ("staffid", P(C::EmployeeId)),
    ("学籍番号", P(C::StudentId)),
    ("学生番号", P(C::StudentId)),
    ("学生証番号", P(C::StudentId)),
    ("生徒番号", P(C::StudentId)),
    ("studentid", P(C::StudentId)),
    ("会員番号", P(C::PersonalId)),
    ("会員id", P(C::PersonalId)),
    ("顧客番号", P(C::PersonalId)),
    ("お客様番号", P(C::PersonalId)),
    ("利用者番号", P(C::PersonalId)),
    ("受験番号", P(C::PersonalId)),
    ("ユーザーid", P(C::PersonalId)),
    ("ログインid", P(C::PersonalId)),
    ("住民票コード", P(C::PersonalId)),
    ("id", P(C::PersonalId)),
    ("memberid", P(C::PersonalId)),
    ("customerid", P(C::PersonalId)),
    ("customerno.", P(C::PersonalId)),
    ("userid", P(C::PersonalId)),
    ("accountid", P(C::PersonalId)),
    ("policynumber", P(C::PersonalId)),
    ("番号", P(C::PersonalId)),
    ("出席番号", P(C::StudentNo)),
    ("番", P(C::StudentNo)),
    ("no", P(C::StudentNo)),
    ("no.", P(C::StudentNo)),
    ("出席no", P(C::StudentNo)),
    ("出席no.", P(C::StudentNo)),
    // Attributes beside a name (may)
    ("点数", P(C::Score)),
    ("得点", P(C::Score)),
    ("成績", P(C::Score)),
    ("評定", P(C::Score)),
    ("評価", P(C::Score)),
    ("順位", P(C::Score)),
    ("偏差値", P(C::Score)),
    ("gpa", P(C::Score)),
    ("単位", P(C::Score)),
    ("欠席", P(C::Score)),
    ("欠課時数", P(C::Score)),
    ("欠席日数", P(C::Score)),
    ("遅刻", P(C::Score)),
    ("早退", P(C::Score)),
    ("出欠", P(C::Score)),
    ("国語", P(C::Score)),
    ("数学", P(C::Score)),
    ("算数", P(C::Score)),
    ("英語", P(C::Score)),
    ("理科", P(C::Score)),
    ("社会", P(C::Score)),
    ("音楽", P(C::Score)),
    ("美術", P(C::Score)),
    ("体育", P(C::Score)),
    ("保健体育", P(C::Score)),
    ("技術家庭", P(C::Score)),
    ("家庭科", P(C::Score)),
    ("合計", P(C::Score)),
    ("平均", P(C::Score)),
    ("総合", P(C::Score)),
    ("score", P(C::Score)),
    ("grade", P(C::Score)),
    ("給与", P(C::Score)),
    ("基本給", P(C::Score)),
    ("年収", P(C::Score)),
    ("人事評価", P(C::Score)),
    ("病名", P(C::Health)),
    ("傷病名", P(C::Health)),
    ("診断名", P(C::Health)),
    ("診断", P(C::Health)),
    ("既往歴", P(C::Health)),
    ("現病歴", P(C::Health)),
    ("主訴", P(C::Health)),
    ("症状", P(C::Health)),
    ("所見", P(C::Health)),
    ("アレルギー", P(C::Health)),
    ("血液型", P(C::Health)),
    ("身長", P(C::Health)),
    ("体重", P(C::Health)),
    ("血圧", P(C::Health)),
    ("処方", P(C::Health)),
    ("薬剤", P(C::Health)),
    ("障害", P(C::Health)),
    ("障害等級", P(C::Health)),
    ("要介護度", P(C::Health)),
    ("diagnosis", P(C::Health)),
    ("condition", P(C::Health)),
    ("allergies", P(C::Health)),
    ("medication", P(C::Health)),
    ("bloodtype", P(C::Health)),
    ("病室", P(C::Room)),
    ("部屋", P(C::Room)),
    ("部屋番号", P(C::Room)),
    ("ベッド", P(C::Room)),
    ("room", P(C::Room)),
    ("bed", P(C::Room)),
    ("入院日", P(C::AdmissionDate)),
    ("入院年月日", P(C::AdmissionDate)),
    ("退院日", P(C::AdmissionDate)),
    ("受診日", P(C::AdmissionDate)),
    ("手術日", P(C::AdmissionDate)),
    ("admission", P(C::AdmissionDate)),
    ("admissiondate", P(C::AdmissionDate)),
    ("admitted", P(C::AdmissionDate)),
    ("discharge", P(C::AdmissionDate)),
    // Headers that are not personal
    ("病棟", Plain),
    ("診療科", Plain),
    ("科", Plain),
    ("部署", Plain),
    ("所属", Plain),
    ("役職", Plain),
    ("入社日", Plain),
    ("学年", Plain),
    ("組", Plain),
    ("クラス", Plain),
    ("日付", Plain),
    ("申込日", Plain),
    ("作成日", Plain),
    ("発行日", Plain),
    ("交付日", Plain),
    ("有効期限", Plain),
    ("プラン", Plain),
    ("備考", Plain),
    ("状態", Plain),
    ("ステータス", Plain),
    ("商品名", Plain),
    ("単価", Plain),
    ("価格", Plain),
    ("金額", Plain),
    ("数量", Plain),
    ("在庫数", Plain),
    ("在庫", Plain),
    ("最終入荷日", Plain),
    ("入荷日", Plain),
    ("操作", Plain),
    ("区分", Plain),
    ("種別", Plain),
    ("unit", Plain),
    ("ward", Plain),
    ("department", Plain),
    ("status", Plain),
    ("date", Plain),
    ("price", Plain),
    ("qty", Plain),
    ("quantity", Plain),
    ("notes", Plain),
    ("stock", Plain),
    ("product", Plain),
    ("item", Plain),
    ("商品コード", Code),
    ("品番", Code),
    ("型番", Code),
    ("注文番号", Code),
    ("受注番号", Code),
    ("伝票番号", Code),
    ("請求書番号", Code),
    ("管理番号", Code),
    ("janコード", Code),
    ("sku", Code),
    ("orderno.", Code),
    ("invoiceno.", Code),
    ("productcode", Code),
    ("法人番号", Code),
    ("登録番号", Code),
    ("コード", Code),
];

/// Characters that may follow or surround a label: colons, brackets, marks of required fields.
fn is_decoration(c: char) -> bool {
    matches!(
        c,
        ':' | '：'
            | '*'
            | '※'
            | '＊'
            | '【'
            | '】'
            | '['
            | ']'
            | '■'
            | '●'
            | '・'
            | '#'
            | '＃'
            | '|'
    )
}

fn strip(text: &str) -> String {
    let k = key(text);
    k.trim_matches(is_decoration).to_string()
}

/// The label `text` is (all of it), if any. Allows one misread character in labels of four or
/// more characters (個人番号カード is not 個人番号 with a slip: lengths must agree).
pub fn label(text: &str) -> Option<LabelKind> {
    let k = strip(text);
    if k.is_empty() {
        return None;
    }
    if let Some((_, kind)) = LABELS.iter().find(|(l, _)| *l == k) {
        return Some(*kind);
    }
    let n = k.chars().count();
    // A misread honorific prefix: 己住所 for ご住所.
    if n == 3 {
        let rest: String = k.chars().skip(1).collect();
        if let Some((_, kind)) = LABELS
            .iter()
            .find(|(l, kind)| *l == rest && matches!(kind, LabelKind::Personal(_)))
        {
            return Some(*kind);
        }
    }
    if n >= 4 {
        return LABELS
            .iter()
            .find(|(l, _)| {
                let m = l.chars().count();
                m == n && edit_distance(l, &k) <= 1
            })
            .map(|(_, kind)| *kind);
    }
    None
}

/// A label at the start of `text` followed by a value (`氏名：山田太郎`, `TEL 090-…`): the
/// label's kind and the byte offset where the value starts. Only labels of two or more
/// characters (or ones followed by a colon) count, so that `名古屋` is not 名 + 古屋.
pub fn leading_label(text: &str) -> Option<(LabelKind, usize)> {
    let mut best: Option<(LabelKind, usize, usize)> = None;
    let mut k = String::new();
    let mut iter = text.char_indices().peekable();
    while let Some((_, c)) = iter.next() {
        if c.is_whitespace() {
            continue;
        }
        k.push(c.to_ascii_lowercase());
        let next = iter.peek().map(|&(i, _)| i).unwrap_or(text.len());
        let rest = text[next..].trim_start();
        if rest.is_empty() {
            break;
        }
        let followed_by_colon = rest.starts_with([':', '：']);
        let separated = followed_by_colon || text[next..].starts_with([' ', '　']);
        let boundary = separated || !c.is_ascii_alphanumeric();
        if let Some((_, kind)) = LABELS.iter().find(|(l, _)| **l == *k) {
            let long_enough = k.chars().count() >= 2 || followed_by_colon;
            // Attribute labels (国語, 社会) begin ordinary words too: they lead a value only
            // when set apart from it.
            let strong = matches!(kind, LabelKind::Personal(c) if c.tier() == super::category::Tier::Must)
                || separated;
            if long_enough && boundary && strong {
                let value = text.len() - rest.trim_start_matches([':', '：', ' ', '　']).len();
                best = Some((*kind, k.chars().count(), value));
            }
        }
        if k.chars().count() > 12 {
            break;
        }
    }
    best.map(|(kind, _, at)| (kind, at))
}

/// In a row already known to be a header row: the label `text` is with one slip of OCR (氏者
/// for 氏名, 偶人番号 for 個人番号), for labels of two characters or more; with two slips for
/// labels of six characters or more (よールアFレス for メールアドレス, read so in a photographed
/// table whose header then no longer counted enough labels).
pub fn near_label(text: &str) -> Option<LabelKind> {
    let k = strip(text);
    let n = k.chars().count();
    if n < 2 {
        return None;
    }
    let slips = if n >= 6 { 2 } else { 1 };
    let mut kinds = LABELS
        .iter()
        .filter(|(l, _)| l.chars().count() == n && edit_distance(l, &k) <= slips)
        .map(|(_, kind)| *kind);
    let first = kinds.next()?;
    // 单価 is one slip from 単価 and from 評価: when the near labels disagree, it is unknown.
    kinds.all(|k| k == first).then_some(first)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_with_decorations_and_width() {
        assert_eq!(label("氏　名："), Some(P(C::Name)));
        assert_eq!(label("【生年月日】"), Some(P(C::BirthDate)));
        assert_eq!(label("ＴＥＬ"), Some(P(C::Phone)));
        assert_eq!(label("Date of Birth"), Some(P(C::BirthDate)));
        assert_eq!(label("商品コード"), Some(Code));
        assert_eq!(label("病棟"), Some(Plain));
        // One OCR slip in a long label.
        assert_eq!(label("メールアドレヌ"), Some(P(C::Email)));
        assert_eq!(label("山田太郎"), None);
        assert_eq!(label("己住所"), Some(P(C::Address)));
        assert_eq!(label("個人番号ド"), None);
        assert_eq!(near_label("氏者"), Some(P(C::Name)));
        assert_eq!(near_label("单価"), None);
        // Two slips only in a long label.
        assert_eq!(near_label("よールアFレス"), Some(P(C::Email)));
        assert_eq!(near_label("生年目目"), None);
    }

    #[test]
    fn a_label_can_lead_its_value() {
        let (kind, at) = leading_label("氏名：山田 太郎").unwrap();
        assert_eq!(kind, P(C::Name));
        assert_eq!(&"氏名：山田 太郎"[at..], "山田 太郎");
        let (kind, at) = leading_label("TEL 090-1234-5678").unwrap();
        assert_eq!(
            (kind, &"TEL 090-1234-5678"[at..]),
            (P(C::Phone), "090-1234-5678")
        );
        assert_eq!(leading_label("名古屋市中区"), None);
        assert_eq!(leading_label("社会保険の手続き"), None);
        assert_eq!(leading_label("性別 男").map(|(k, _)| k), Some(P(C::Sex)));
        assert_eq!(leading_label("Telephone"), None);
        // "Name" inside a word is no label.
        assert_eq!(leading_label("Namesake Corp"), None);
    }
}
