//! What a finding is, and how much it matters.

use serde::{Deserialize, Serialize};

/// `must`: identifies a person by itself. `may`: an attribute that is personal only beside a
/// name (scores, diagnoses, ages, rooms, admission dates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Must,
    May,
}

macro_rules! categories {
    ($($variant:ident = $name:literal, $tier:ident, $ja:literal, $en:literal;)*) => {
        /// The kinds of personal data Kuronuri finds.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category { $($variant,)* }

        impl Category {
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The name used in JSON and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $(Category::$variant => $name,)* }
            }

            pub fn tier(self) -> Tier {
                match self { $(Category::$variant => Tier::$tier,)* }
            }

            /// Names shown to people: (Japanese, English).
            pub fn title(self) -> (&'static str, &'static str) {
                match self { $(Category::$variant => ($ja, $en),)* }
            }

            pub fn parse(name: &str) -> Option<Category> {
                match name { $($name => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    Name = "name", Must, "氏名", "Name";
    NameKana = "name_kana", Must, "氏名（カナ）", "Name (kana)";
    BirthDate = "birth_date", Must, "生年月日", "Date of birth";
    Address = "address", Must, "住所", "Address";
    PostalCode = "postal_code", Must, "郵便番号", "Postal code";
    Phone = "phone", Must, "電話番号", "Phone";
    Email = "email", Must, "メール", "Email";
    MyNumber = "my_number", Must, "マイナンバー", "My Number";
    CreditCard = "credit_card", Must, "カード番号", "Card number";
    InsuranceNumber = "insurance_number", Must, "保険証の記号・番号", "Insurance number";
    DriversLicense = "drivers_license", Must, "運転免許証番号", "Driver's licence";
    Passport = "passport", Must, "旅券番号", "Passport";
    ResidenceCard = "residence_card", Must, "在留カード番号", "Residence card";
    PensionNumber = "pension_number", Must, "基礎年金番号", "Pension number";
    Ssn = "ssn", Must, "社会保障番号", "SSN";
    BankAccount = "bank_account", Must, "口座番号", "Bank account";
    PatientId = "patient_id", Must, "患者ID", "Patient ID";
    EmployeeId = "employee_id", Must, "社員番号", "Employee ID";
    StudentId = "student_id", Must, "学籍番号", "Student ID";
    PersonalId = "personal_id", Must, "個人のID", "Personal ID";
    Face = "face", Must, "顔", "Face";
    Code = "code", Must, "QRコード・バーコード", "QR code / barcode";
    Other = "other", Must, "その他の個人情報", "Other personal data";
    Age = "age", May, "年齢", "Age";
    Sex = "sex", May, "性別", "Sex";
    Score = "score", May, "成績・評価", "Scores";
    Health = "health", May, "病名・健康情報", "Health";
    Room = "room", May, "病室", "Room";
    AdmissionDate = "admission_date", May, "入退院日", "Admission date";
    StudentNo = "student_no", May, "出席番号", "Class number";
    Seal = "seal", May, "印影", "Seal";
}

/// Which findings to keep: a preset and categories turned off one by one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    #[serde(default)]
    pub preset: Preset,
    /// Categories left out even though the preset includes them.
    #[serde(default)]
    pub off: Vec<Category>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// "Everything personal": must and may.
    #[default]
    Everything,
    /// "Identifiers only": must.
    Identifiers,
    /// "保険証のコピー": what must be masked on a copy of a health insurance card (the
    /// 記号・番号・保険者番号 under the 告知要求制限 in force since October 2020) and its QR
    /// code, nothing else: the rest of the copy is what the person was asked for.
    InsuranceCopy,
}

impl Policy {
    pub fn allows(&self, category: Category) -> bool {
        let by_preset = match self.preset {
            Preset::Everything => true,
            Preset::Identifiers => category.tier() == Tier::Must,
            Preset::InsuranceCopy => {
                matches!(category, Category::InsuranceNumber | Category::Code)
            }
        };
        by_preset && !self.off.contains(&category)
    }

    /// Reads `everything`, `identifiers`, or either followed by `,-category` items
    /// (`everything,-score,-age`), as the command line takes it.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let mut policy = Policy::default();
        for (i, part) in text.split(',').map(str::trim).enumerate() {
            match (i, part) {
                (0, "everything") => policy.preset = Preset::Everything,
                (0, "identifiers") => policy.preset = Preset::Identifiers,
                (0, "insurance_copy") => policy.preset = Preset::InsuranceCopy,
                (_, p) if p.starts_with('-') => {
                    let c = Category::parse(&p[1..])
                        .ok_or_else(|| format!("unknown category {:?}", &p[1..]))?;
                    policy.off.push(c);
                }
                _ => {
                    return Err(format!(
                        "unknown policy part {part:?} (everything | identifiers, then ,-category)"
                    ))
                }
            }
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_toggles() {
        let all = Policy::default();
        assert!(all.allows(Category::Score) && all.allows(Category::Name));
        let ids = Policy::parse("identifiers").unwrap();
        assert!(!ids.allows(Category::Score) && ids.allows(Category::MyNumber));
        let p = Policy::parse("everything,-age").unwrap();
        assert!(!p.allows(Category::Age) && p.allows(Category::Health));
        assert!(Policy::parse("nothing").is_err());
        let copy = Policy::parse("insurance_copy").unwrap();
        assert!(copy.allows(Category::InsuranceNumber) && copy.allows(Category::Code));
        assert!(!copy.allows(Category::Name) && !copy.allows(Category::BirthDate));
        assert!(!copy.allows(Category::Face) && !copy.allows(Category::Address));
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
    }
}
