//! Idun's `normalize_slug`: a server's slug derived from its name, folded to ASCII.

const MAX_SLUG_LEN: usize = 64;

/// `normalize_slug`: trim, fold to ASCII, lowercase, runs of anything else to `-`, trim `-`,
/// cut to 64 characters. `None` when nothing is left.
pub(super) fn normalize_slug(name: &str) -> Option<String> {
    let mut folded = String::new();
    for c in name.trim().chars() {
        fold_to_ascii(c, &mut folded);
    }
    let mut slug = String::new();
    for c in folded.to_ascii_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(MAX_SLUG_LEN).collect();
    (!slug.is_empty()).then_some(slug)
}

/// An approximation of NFKD followed by dropping non-ASCII: the accented Latin letters, common
/// compatibility forms (ligatures, full-width ASCII, super/subscript digits, odd spaces) fold to
/// their ASCII base; anything else is dropped, as Python drops characters NFKD leaves non-ASCII.
fn fold_to_ascii(c: char, out: &mut String) {
    const GROUPS: [(&str, &str); 44] = [
        ("ÀÁÂÃÄÅĀĂĄǍ", "A"),
        ("àáâãäåāăąǎª", "a"),
        ("ÇĆĈĊČ", "C"),
        ("çćĉċč", "c"),
        ("Ď", "D"),
        ("ď", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("èéêëēĕėęě", "e"),
        ("ĜĞĠĢ", "G"),
        ("ĝğġģ", "g"),
        ("Ĥ", "H"),
        ("ĥ", "h"),
        ("ÌÍÎÏĨĪĬĮİǏ", "I"),
        ("ìíîïĩīĭįǐ", "i"),
        ("Ĵ", "J"),
        ("ĵ", "j"),
        ("Ķ", "K"),
        ("ķ", "k"),
        ("ĹĻĽĿ", "L"),
        ("ĺļľŀ", "l"),
        ("ÑŃŅŇ", "N"),
        ("ñńņňŉ", "n"),
        ("ÒÓÔÕÖŌŎŐƠǑ", "O"),
        ("òóôõöōŏőơǒº", "o"),
        ("ŔŖŘ", "R"),
        ("ŕŗř", "r"),
        ("ŚŜŞŠ", "S"),
        ("śŝşšſ", "s"),
        ("ŢŤ", "T"),
        ("ţť", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲƯǓ", "U"),
        ("ùúûüũūŭůűųưǔ", "u"),
        ("Ŵ", "W"),
        ("ŵ", "w"),
        ("ÝŶŸ", "Y"),
        ("ýÿŷ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("Ĳ", "IJ"),
        ("ĳ", "ij"),
        ("ﬀ", "ff"),
        ("ﬁ", "fi"),
        ("ﬂ", "fl"),
        (
            "\u{a0}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{202f}\u{205f}\u{3000}",
            " ",
        ),
    ];
    if c.is_ascii() {
        out.push(c);
        return;
    }
    if let Some((_, ascii)) = GROUPS.iter().find(|(set, _)| set.contains(c)) {
        out.push_str(ascii);
        return;
    }
    let code = c as u32;
    // Enclosed alphanumerics: NFKD gives the number or letter, with the parentheses or the full
    // stop that some of them carry (`①` → `1`, `⑴` → `(1)`, `⒈` → `1.`, `ⓐ` → `a`).
    let letter = |base: u32| char::from_u32(code - base + u32::from(b'a')).unwrap_or('?');
    let enclosed = match code {
        0x2460..=0x2473 => Some((code - 0x2460 + 1).to_string()),
        0x2474..=0x2487 => Some(format!("({})", code - 0x2474 + 1)),
        0x2488..=0x249B => Some(format!("{}.", code - 0x2488 + 1)),
        0x249C..=0x24B5 => Some(format!("({})", letter(0x249C))),
        0x24B6..=0x24CF => Some(letter(0x24B6).to_ascii_uppercase().to_string()),
        0x24D0..=0x24E9 => Some(letter(0x24D0).to_string()),
        0x24EA => Some("0".to_owned()),
        _ => None,
    };
    if let Some(text) = enclosed {
        out.push_str(&text);
        return;
    }
    let folded = match code {
        // Full-width ASCII.
        0xFF01..=0xFF5E => char::from_u32(code - 0xFF01 + 0x21),
        0xB9 => Some('1'),
        0xB2 => Some('2'),
        0xB3 => Some('3'),
        // Superscript and subscript digits.
        0x2070 => Some('0'),
        0x2074..=0x2079 => char::from_digit(code - 0x2070, 10),
        0x2080..=0x2089 => char::from_digit(code - 0x2080, 10),
        _ => None,
    };
    if let Some(f) = folded {
        out.push(f);
    }
}
