//! Small text helpers shared by the readers, the header matcher and the parsers.

/// Characters that are invisible and never meaningful at the edges of a cell: BOM, zero-width
/// space/joiners.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{FEFF}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}')
}

/// Trims a data cell: Unicode whitespace (including the full-width space U+3000 and NBSP) and
/// invisible characters at both ends. Returns the input unchanged when there is nothing to
/// trim, without allocating.
pub(crate) fn trim_cell(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
}

/// Cleans a header cell: invisible characters removed everywhere, whitespace runs (line breaks
/// from Alt+Enter, full-width spaces) collapsed to one space, ends trimmed.
pub(crate) fn clean_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Full-width ASCII forms (U+FF01–U+FF5E) to their ASCII twins, the ideographic space to a
/// space. Everything else is kept.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// `half_width` over a string, trimmed.
pub(crate) fn to_half_width(s: &str) -> String {
    trim_cell(s).chars().map(half_width).collect()
}

/// Columns a string takes in a spreadsheet: East Asian wide characters count two.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u)
                || (0x20000..=0x3FFFD).contains(&u);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// Does a row that should be the header look like data instead? True when a cell has the
/// shape of a unified social credit code, or when every non-empty cell is a number or a date.
pub(crate) fn looks_like_data(cells: &[String]) -> bool {
    let non_empty: Vec<&str> = cells.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
    if non_empty.is_empty() {
        return false;
    }
    let uscc_shaped = |c: &&str| {
        c.len() == 18
            && c.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            && c.bytes().filter(u8::is_ascii_digit).count() >= 10
    };
    let numeric = |c: &&str| {
        c.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'/' | b',' | b'+' | b'%'))
            && c.bytes().any(|b| b.is_ascii_digit())
    };
    non_empty.iter().any(uscc_shaped) || non_empty.iter().all(numeric)
}
