//! The message catalog: every word postie shows, in English and Simplified
//! Chinese, from `assets/locales/postie.yml` (compiled in by rust-i18n; one
//! file with both languages side by side, so a translator sees the English
//! beside the Chinese). `t!("key", name = value)` looks a message up in the
//! language chosen at start; `count` picks the English singular or plural.
//!
//! The language: `language = "auto" | "en" | "zh-CN"` in the config, else
//! (auto) the locale environment as POSIX orders it: `LC_ALL`, then
//! `LC_MESSAGES`, then `LANG` (GNU's `LANGUAGE` list first, as gettext
//! does, unless the locale is C/POSIX).

use std::borrow::Cow;

/// The languages postie speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    /// Simplified Chinese; also chosen for zh_TW/zh_HK locales, whose
    /// readers read it more easily than English (there is no zh-TW catalog).
    ZhCn,
}

impl Language {
    /// The catalog's name for it.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::ZhCn => "zh-CN",
        }
    }

    /// The config's `language`: `Ok(None)` for "auto".
    pub fn from_setting(s: &str) -> Result<Option<Language>, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" | "" => Ok(None),
            "en" | "en-us" | "en-gb" | "english" => Ok(Some(Language::En)),
            "zh-cn" | "zh" | "zh-hans" | "zh-sg" | "chinese" => Ok(Some(Language::ZhCn)),
            other => Err(format!(
                "language {other:?} is not one postie speaks: use \"auto\", \"en\" or \"zh-CN\""
            )),
        }
    }

    /// One POSIX locale name (`zh_CN.UTF-8`, `en_US`, `C`): its language,
    /// or None when it names none postie has (the caller then goes on).
    fn from_locale_name(name: &str) -> Option<Language> {
        let lang = name.split(['.', '@']).next().unwrap_or_default();
        let primary = lang.split(['_', '-']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "zh" => Some(Language::ZhCn),
            "en" | "c" | "posix" => Some(Language::En),
            _ => None,
        }
    }

    /// The language the environment asks for (`get` reads a variable;
    /// passed in so tests need not touch the process environment).
    pub fn from_environment(get: impl Fn(&str) -> Option<String>) -> Language {
        let set = |k: &str| get(k).filter(|v| !v.is_empty());
        let locale = set("LC_ALL")
            .or_else(|| set("LC_MESSAGES"))
            .or_else(|| set("LANG"));
        let is_c = locale
            .as_deref()
            .is_none_or(|l| matches!(l.split('.').next(), Some("C" | "POSIX")));
        if !is_c {
            // GNU gettext's LANGUAGE: a priority list such as "zh_CN:en".
            if let Some(list) = set("LANGUAGE") {
                if let Some(l) = list.split(':').find_map(Language::from_locale_name) {
                    return l;
                }
            }
        }
        locale
            .as_deref()
            .and_then(Language::from_locale_name)
            .unwrap_or(Language::En)
    }

    /// The config's setting if it names a language, else the environment's.
    pub fn choose(setting: Option<Language>) -> Language {
        setting.unwrap_or_else(|| Language::from_environment(|k| std::env::var(k).ok()))
    }
}

/// Makes `lang` the language of everything shown from now on.
pub fn set(lang: Language) {
    rust_i18n::set_locale(lang.code());
}

/// The language in use.
pub fn current() -> Language {
    if &*rust_i18n::locale() == Language::ZhCn.code() {
        Language::ZhCn
    } else {
        Language::En
    }
}

/// A message by a key built at run time (`t!` needs a literal).
pub fn text(key: &str) -> Cow<'static, str> {
    text_in(current(), key)
}

/// A message in a given language (the man pages are made in English).
pub fn text_in(lang: Language, key: &str) -> Cow<'static, str> {
    match crate::_rust_i18n_try_translate(lang.code(), key) {
        Some(s) => s,
        None => Cow::Owned(key.to_string()),
    }
}

/// A message with its `%{fields}` filled, for code outside this crate (the
/// binary), where `t!` cannot reach the catalog.
pub fn fill(key: &str, fields: &[(&str, String)]) -> String {
    fill_in(current(), key, fields)
}

/// `fill` in a given language.
pub fn fill_in(lang: Language, key: &str, fields: &[(&str, String)]) -> String {
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = fields.iter().map(|(_, v)| v.clone()).collect();
    rust_i18n::replace_patterns(&text_in(lang, key), &names, &values)
}

/// A message about `n` things: `KEY.one` when n is 1, else `KEY.other`, with
/// `%{n}` replaced (Chinese has one form; its two entries are the same).
pub fn count(key: &str, n: u64) -> String {
    let form = if n == 1 { "one" } else { "other" };
    fill(&format!("{key}.{form}"), &[("n", n.to_string())])
}

/// Every (key, message) of one language, for the completeness test.
pub fn catalog(lang: Language) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = crate::_rust_i18n_backend()
        .messages_for_locale(lang.code())
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    all.sort();
    all
}

/// The `%{name}` placeholders of a message, sorted.
pub fn placeholders(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find("%{") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out.sort();
    out
}

/// The day of the week as Chinese writes it (周一 … 周日).
fn weekday_zh(d: &impl chrono::Datelike) -> &'static str {
    const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    WEEKDAYS_ZH[d.weekday().num_days_from_monday() as usize]
}

/// A date as the reader's header shows it: `Mon, 2 Dec 2024 14:05 +0800`,
/// or `2024年12月2日 周一 14:05 (+0800)`.
pub fn long_date<Tz: chrono::TimeZone>(d: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    long_date_in(current(), d)
}

/// The date in a Chinese reply's attribution line: `2024年12月2日 周一 10:05`.
pub fn attribution_date<Tz: chrono::TimeZone>(d: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    use chrono::Datelike;
    format!(
        "{}年{}月{}日 {} {}",
        d.year(),
        d.month(),
        d.day(),
        weekday_zh(d),
        d.format("%H:%M")
    )
}

fn long_date_in<Tz: chrono::TimeZone>(lang: Language, d: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    use chrono::Datelike;
    match lang {
        Language::En => d.format("%a, %-d %b %Y %H:%M %z").to_string(),
        Language::ZhCn => format!(
            "{}年{}月{}日 {} {} ({})",
            d.year(),
            d.month(),
            d.day(),
            weekday_zh(d),
            d.format("%H:%M"),
            d.format("%z"),
        ),
    }
}

/// A date in a column: `2023-11-14 09:30` both ways; the short form (this
/// year's mail in a narrow column) `12-02 14:05` or `12月2日 14:05`.
pub fn column_date<Tz: chrono::TimeZone>(d: &chrono::DateTime<Tz>, short: bool) -> String
where
    Tz::Offset: std::fmt::Display,
{
    column_date_in(current(), d, short)
}

fn column_date_in<Tz: chrono::TimeZone>(
    lang: Language,
    d: &chrono::DateTime<Tz>,
    short: bool,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    match (short, lang) {
        (false, _) => d.format("%Y-%m-%d %H:%M").to_string(),
        (true, Language::En) => {
            let now = chrono::Utc::now().with_timezone(&d.timezone());
            en_short(d, &now)
        }
        (true, Language::ZhCn) => {
            let now = chrono::Utc::now().with_timezone(&d.timezone());
            zh_short(d, &now)
        }
    }
}

/// The narrow column in English: today the time (`14:05`), this year
/// month, day and time (`12-02 14:05`), before that the year (`2023-11-14`).
fn en_short<Tz: chrono::TimeZone>(d: &chrono::DateTime<Tz>, now: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    use chrono::Datelike;
    if now.date_naive() == d.date_naive() {
        d.format("%H:%M").to_string()
    } else if now.year() == d.year() {
        d.format("%m-%d %H:%M").to_string()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// The narrow column in Chinese, as Chinese mail programs write it (at most
/// 10 cells): today `14:05`, this week `周一 14:05`, this year `12月2日`,
/// before that `2023-11-14`.
fn zh_short<Tz: chrono::TimeZone>(d: &chrono::DateTime<Tz>, now: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    use chrono::Datelike;
    let days = now
        .date_naive()
        .signed_duration_since(d.date_naive())
        .num_days();
    if days == 0 {
        d.format("%H:%M").to_string()
    } else if (1..7).contains(&days) {
        format!("{} {}", weekday_zh(d), d.format("%H:%M"))
    } else if d.year() == now.year() && days > 0 {
        format!("{}月{}日", d.month(), d.day())
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_is_read_in_posix_order() {
        assert_eq!(Language::from_environment(env(&[])), Language::En);
        assert_eq!(
            Language::from_environment(env(&[("LANG", "zh_CN.UTF-8")])),
            Language::ZhCn
        );
        assert_eq!(
            Language::from_environment(env(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C")])),
            Language::En
        );
        assert_eq!(
            Language::from_environment(env(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "zh_TW")])),
            Language::ZhCn
        );
        assert_eq!(
            Language::from_environment(env(&[
                ("LANG", "de_DE.UTF-8"),
                ("LANGUAGE", "fr:zh_CN:en")
            ])),
            Language::ZhCn
        );
        // LANGUAGE is ignored under the C locale, as gettext does.
        assert_eq!(
            Language::from_environment(env(&[("LANG", "C.UTF-8"), ("LANGUAGE", "zh_CN")])),
            Language::En
        );
        // A language postie lacks: English.
        assert_eq!(
            Language::from_environment(env(&[("LANG", "ja_JP.UTF-8")])),
            Language::En
        );
        // An empty variable counts as unset.
        assert_eq!(
            Language::from_environment(env(&[("LC_ALL", ""), ("LANG", "zh_SG.UTF-8")])),
            Language::ZhCn
        );
    }

    #[test]
    fn the_setting_accepts_auto_en_and_zh_cn() {
        assert_eq!(Language::from_setting("auto"), Ok(None));
        assert_eq!(Language::from_setting("en"), Ok(Some(Language::En)));
        assert_eq!(Language::from_setting("zh-CN"), Ok(Some(Language::ZhCn)));
        assert_eq!(Language::from_setting("zh_cn"), Ok(Some(Language::ZhCn)));
        assert!(Language::from_setting("klingon").is_err());
    }

    #[test]
    fn placeholders_are_read_from_messages() {
        assert_eq!(placeholders("%{b} of %{a}"), vec!["a", "b"]);
        assert!(placeholders("no fields, 100%").is_empty());
    }

    #[test]
    fn chinese_dates_read_as_chinese_users_write_them() {
        use chrono::TimeZone;
        let d = chrono::FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2024, 12, 2, 14, 5, 0).single())
            .unwrap();
        assert_eq!(
            long_date_in(Language::ZhCn, &d),
            "2024年12月2日 周一 14:05 (+0800)"
        );
        assert_eq!(
            long_date_in(Language::En, &d),
            "Mon, 2 Dec 2024 14:05 +0800"
        );
        assert_eq!(
            column_date_in(Language::ZhCn, &d, false),
            "2024-12-02 14:05"
        );
        let at = |y, m, day, h| {
            chrono::FixedOffset::east_opt(8 * 3600)
                .and_then(|z| z.with_ymd_and_hms(y, m, day, h, 0, 0).single())
                .unwrap()
        };
        assert_eq!(zh_short(&d, &at(2024, 12, 2, 20)), "14:05");
        assert_eq!(zh_short(&d, &at(2024, 12, 4, 9)), "周一 14:05");
        assert_eq!(zh_short(&d, &at(2024, 12, 30, 9)), "12月2日");
        assert_eq!(zh_short(&d, &at(2025, 1, 3, 9)), "2024-12-02");
        // A date in the future (a sender's clock) is not "this week".
        assert_eq!(zh_short(&at(2024, 12, 9, 9), &d), "2024-12-09");
        assert_eq!(en_short(&d, &at(2024, 12, 2, 20)), "14:05");
        assert_eq!(en_short(&d, &at(2024, 12, 30, 9)), "12-02 14:05");
        assert_eq!(en_short(&d, &at(2025, 1, 3, 9)), "2024-12-02");
    }
}
