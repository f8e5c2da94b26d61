//! Word files in the style of official documents 公文 (after GB/T 9704-2012, simplified): A4
//! with the standard margins, an optional red masthead 发文机关标志, a document number line
//! (`达强链办〔2026〕12号`) over a red rule, the title centred in a large font, headings
//! numbered 一、 （一） 1. by level, body paragraphs indented two characters on the first line,
//! simple bordered tables with a shaded header row, notes, an appendix and a signature block,
//! page numbers in the footer (`— 1 —`).
//!
//! Fonts are named as offices have them (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312);
//! a machine without them renders with its fallback fonts.
//!
//! The builder knows nothing of what it writes: scheduling notices (issue 6) and meeting
//! packets (issue 7) both use it.
//!
//! ```
//! let bytes = office::docx::DocBuilder::new()
//!     .title("重点项目调度通报")
//!     .doc_number("达强链办〔2026〕12号")
//!     .heading1("总体情况")
//!     .para("全市共有重点项目 300 个。")
//!     .table(&["产业链", "项目数"], vec![vec!["天然气化工".into(), "12".into()]])
//!     .build();
//! assert!(bytes.starts_with(b"PK"));
//! ```

use crate::text::display_width;
use docx_rs::{
    AlignmentType, BorderType, BreakType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph,
    ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Run, RunFonts, Shading, SpecialIndentType, Table,
    TableCell, TableRow, VAlignType, WidthType,
};

/// The MIME type of a docx download.
pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

const FONT_TITLE: &str = "方正小标宋简体";
const FONT_BODY: &str = "仿宋_GB2312";
const FONT_H1: &str = "黑体";
const FONT_H2: &str = "楷体_GB2312";
const FONT_LATIN: &str = "Times New Roman";

// Sizes in half-points: 二号 22 pt, 三号 16 pt, 四号 14 pt, 五号 10.5 pt.
const SIZE_MASTHEAD: usize = 60;
const SIZE_TITLE: usize = 44;
const SIZE_BODY: usize = 32;
const SIZE_NOTE: usize = 28;
const SIZE_TABLE: usize = 21;

// Page geometry in twips (1/1440 inch): A4, margins 37/35/28/26 mm.
const A4_WIDTH: u32 = 11906;
const A4_HEIGHT: u32 = 16838;
const MARGIN_TOP: i32 = 2098;
const MARGIN_BOTTOM: i32 = 1984;
const MARGIN_LEFT: i32 = 1587;
const MARGIN_RIGHT: i32 = 1474;
/// Width of the text area, which tables fill.
const TEXT_WIDTH: i32 = A4_WIDTH as i32 - MARGIN_LEFT - MARGIN_RIGHT;
/// Fixed line pitch of the body: 28 pt (22 lines to a page).
const LINE_BODY: i32 = 560;
/// Two characters of 三号 text: the first-line indent.
const INDENT_BODY: i32 = 640;

#[derive(Debug, Clone, PartialEq)]
enum Block {
    Masthead(String),
    DocNumber(String),
    Title(String),
    Subtitle(String),
    Addressee(String),
    Heading(u8, String),
    Para(String),
    Note(String),
    Table { headers: Vec<String>, rows: Vec<Vec<String>> },
    Appendix(String),
    Signature(Vec<String>),
    PageBreak,
}

/// Builds one document block by block, in the order the methods are called.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocBuilder {
    blocks: Vec<Block>,
}

impl DocBuilder {
    pub fn new() -> DocBuilder {
        DocBuilder::default()
    }

    /// The issuing office's masthead 发文机关标志, in red (optional; first in a document).
    pub fn masthead(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Masthead(text.into()));
        self
    }

    /// The document number 发文字号 (`达强链办〔2026〕12号`), centred over a red rule.
    pub fn doc_number(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::DocNumber(text.into()));
        self
    }

    /// The title, centred in 二号 小标宋.
    pub fn title(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Title(text.into()));
        self
    }

    /// A line under the title (`（2026年3月）`), centred in 楷体.
    pub fn subtitle(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Subtitle(text.into()));
        self
    }

    /// The addressees 主送机关 (`各县（市、区）人民政府，市级有关部门：`), flush left.
    pub fn addressee(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Addressee(text.into()));
        self
    }

    /// A first-level heading; numbered 一、 二、 … (give the text without its number).
    pub fn heading1(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Heading(1, text.into()));
        self
    }

    /// A second-level heading; numbered （一） （二） … within its first-level heading.
    pub fn heading2(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Heading(2, text.into()));
        self
    }

    /// A third-level heading; numbered 1. 2. … within its second-level heading.
    pub fn heading3(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Heading(3, text.into()));
        self
    }

    /// A body paragraph, first line indented two characters. A line break in the text
    /// starts a new line within the paragraph.
    pub fn para(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Para(text.into()));
        self
    }

    /// A smaller paragraph for remarks under a table (`注：…`).
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Note(text.into()));
        self
    }

    /// A bordered table filling the text width: a shaded bold header row, then the rows
    /// (short rows are padded, long ones cut to the header's width). Columns get widths by
    /// their content; numbers are right-aligned.
    pub fn table<H: AsRef<str>>(mut self, headers: &[H], rows: Vec<Vec<String>>) -> Self {
        let headers: Vec<String> = headers.iter().map(|h| h.as_ref().to_string()).collect();
        self.blocks.push(Block::Table { headers, rows });
        self
    }

    /// An appendix heading (`附件：…`) on a new line, flush left in 黑体.
    pub fn appendix(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Appendix(text.into()));
        self
    }

    /// The signature block 落款: the issuer and the date, right-aligned, one line each.
    pub fn signature<S: AsRef<str>>(mut self, lines: &[S]) -> Self {
        self.blocks.push(Block::Signature(lines.iter().map(|l| l.as_ref().to_string()).collect()));
        self
    }

    pub fn page_break(mut self) -> Self {
        self.blocks.push(Block::PageBreak);
        self
    }

    /// The docx file.
    pub fn build(self) -> Vec<u8> {
        let mut doc = Docx::new()
            .page_size(A4_WIDTH, A4_HEIGHT)
            .page_margin(
                PageMargin::new()
                    .top(MARGIN_TOP)
                    .bottom(MARGIN_BOTTOM)
                    .left(MARGIN_LEFT)
                    .right(MARGIN_RIGHT)
                    .header(851)
                    .footer(992),
            )
            .default_fonts(fonts(FONT_BODY))
            .default_size(SIZE_BODY)
            .footer(
                Footer::new().add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .add_run(Run::new().add_text("— ").size(SIZE_NOTE).fonts(fonts(FONT_BODY)))
                        .add_page_num(PageNum::new())
                        .add_run(Run::new().add_text(" —").size(SIZE_NOTE).fonts(fonts(FONT_BODY))),
                ),
            );
        let mut numbers = [0usize; 3];
        for block in self.blocks {
            doc = match block {
                Block::Masthead(t) => {
                    // One line: a long name gets a smaller font (the text width is 442 pt).
                    let chars = clean(&t).chars().count().max(1);
                    let size = SIZE_MASTHEAD.min((884 / chars).saturating_sub(2)).max(SIZE_BODY);
                    doc.add_paragraph(
                        Paragraph::new()
                            .align(AlignmentType::Center)
                            .line_spacing(LineSpacing::new().before(240).after(480))
                            .add_run(text_run(&t, FONT_TITLE, size).color("FF0000")),
                    )
                }
                Block::DocNumber(t) => {
                    let mut p = Paragraph::new()
                        .align(AlignmentType::Center)
                        .line_spacing(LineSpacing::new().after(480))
                        .add_run(text_run(&t, FONT_BODY, SIZE_BODY));
                    // The red rule 红色分隔线 under the number, and no other border.
                    p.property = p.property.set_borders(
                        ParagraphBorders::with_empty().set(
                            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                                .val(BorderType::Single)
                                .size(18)
                                .space(8)
                                .color("FF0000"),
                        ),
                    );
                    doc.add_paragraph(p)
                }
                Block::Title(t) => doc.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .line_spacing(
                            LineSpacing::new().before(240).after(240).line_rule(LineSpacingType::Auto).line(300),
                        )
                        .add_run(text_run(&t, FONT_TITLE, SIZE_TITLE)),
                ),
                Block::Subtitle(t) => doc.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .line_spacing(body_spacing().after(240))
                        .add_run(text_run(&t, FONT_H2, SIZE_BODY)),
                ),
                Block::Addressee(t) => doc.add_paragraph(
                    Paragraph::new().line_spacing(body_spacing()).add_run(text_run(&t, FONT_BODY, SIZE_BODY)),
                ),
                Block::Heading(level, t) => {
                    let i = usize::from(level.clamp(1, 3)) - 1;
                    numbers[i] += 1;
                    for n in &mut numbers[i + 1..] {
                        *n = 0;
                    }
                    let (label, font) = match i {
                        0 => (format!("{}、", chinese_number(numbers[0])), FONT_H1),
                        1 => (format!("（{}）", chinese_number(numbers[1])), FONT_H2),
                        _ => (format!("{}.", numbers[2]), FONT_BODY),
                    };
                    let mut run = text_run(&format!("{label}{t}"), font, SIZE_BODY);
                    if i == 2 {
                        run = run.bold();
                    }
                    doc.add_paragraph(indented(Paragraph::new()).keep_next(true).add_run(run))
                }
                Block::Para(t) => doc.add_paragraph(
                    indented(Paragraph::new()).align(AlignmentType::Both).add_run(text_run(&t, FONT_BODY, SIZE_BODY)),
                ),
                Block::Note(t) => doc.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Both)
                        .line_spacing(LineSpacing::new().before(60).after(120))
                        .add_run(text_run(&t, FONT_BODY, SIZE_NOTE)),
                ),
                Block::Table { headers, rows } => doc.add_table(table(&headers, rows)).add_paragraph(
                    Paragraph::new().line_spacing(LineSpacing::new().after(120)).add_run(Run::new().size(SIZE_NOTE)),
                ),
                Block::Appendix(t) => doc.add_paragraph(
                    Paragraph::new().line_spacing(body_spacing().before(280)).add_run(text_run(&t, FONT_H1, SIZE_BODY)),
                ),
                Block::Signature(lines) => {
                    let mut d = doc.add_paragraph(Paragraph::new().line_spacing(body_spacing()));
                    for l in lines {
                        d = d.add_paragraph(
                            Paragraph::new()
                                .align(AlignmentType::Right)
                                .indent(None, None, Some(INDENT_BODY * 2), None)
                                .line_spacing(body_spacing())
                                .add_run(text_run(&l, FONT_BODY, SIZE_BODY)),
                        );
                    }
                    d
                }
                Block::PageBreak => doc.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page))),
            };
        }
        let mut out = std::io::Cursor::new(Vec::new());
        // Writing to memory cannot fail: the part names are fixed and valid.
        doc.pack(&mut out).unwrap_or_else(|e| unreachable!("an in-memory docx: {e}"));
        out.into_inner()
    }
}

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().east_asia(east_asia).ascii(FONT_LATIN).hi_ansi(FONT_LATIN).cs(FONT_LATIN)
}

fn body_spacing() -> LineSpacing {
    LineSpacing::new().line_rule(LineSpacingType::Exact).line(LINE_BODY)
}

/// A body-style paragraph: fixed line pitch, first line indented two characters.
fn indented(p: Paragraph) -> Paragraph {
    p.line_spacing(body_spacing()).indent(None, Some(SpecialIndentType::FirstLine(INDENT_BODY)), None, None)
}

/// A run of text in `font` at `size`; line breaks in the text become line breaks in the
/// run, and characters XML cannot hold are dropped.
fn text_run(text: &str, font: &str, size: usize) -> Run {
    let mut run = Run::new().fonts(fonts(font)).size(size);
    for (i, line) in clean(text).split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        run = run.add_text(line);
    }
    run
}

/// Text without the control characters XML 1.0 refuses (a tab becomes a space, `\r\n` a
/// line break).
fn clean(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' | '\r' => Some(' '),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => None,
            c => Some(c),
        })
        .collect()
}

/// 1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (headings stay below a hundred).
pub fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[n % 10] }),
        20..=99 => format!("{}十{}", DIGITS[n / 10], if n.is_multiple_of(10) { "" } else { DIGITS[n % 10] }),
        _ => n.to_string(),
    }
}

/// Whether a cell reads as a number (`1,234.5`, `-3`, `85.2%`): right-aligned.
fn numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | '%'))
}

fn table(headers: &[String], rows: Vec<Vec<String>>) -> Table {
    let cols = headers.len().max(1);
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut r| {
            r.resize(cols, String::new());
            r
        })
        .collect();
    // Column widths by content: the widest cell (header included) and room for the cell
    // margins, between 6 and 26 half-width columns, scaled to the text width.
    let want: Vec<usize> = (0..cols)
        .map(|c| {
            let header = headers.get(c).map_or(0, |h| display_width(h));
            let body = rows.iter().map(|r| r[c].lines().map(display_width).max().unwrap_or(0)).max().unwrap_or(0);
            (header.max(body) + 2).clamp(6, 26)
        })
        .collect();
    let sum: usize = want.iter().sum::<usize>().max(1);
    let text_width = usize::try_from(TEXT_WIDTH).unwrap_or(8845);
    let widths: Vec<usize> = want.iter().map(|w| w * text_width / sum).collect();
    let cell = |text: &str, width: usize, header: bool| {
        let align = if header {
            AlignmentType::Center
        } else if numeric(text) {
            AlignmentType::Right
        } else {
            AlignmentType::Left
        };
        let mut run = text_run(text, if header { FONT_H1 } else { FONT_BODY }, SIZE_TABLE);
        if header {
            run = run.bold();
        }
        let mut c = TableCell::new().width(width, WidthType::Dxa).vertical_align(VAlignType::Center).add_paragraph(
            Paragraph::new().align(align).line_spacing(LineSpacing::new().before(40).after(40)).add_run(run),
        );
        if header {
            c = c.shading(Shading::new().fill("D9D9D9"));
        }
        c
    };
    let mut out = vec![TableRow::new(
        (0..cols).map(|c| cell(headers.get(c).map(String::as_str).unwrap_or(""), widths[c], true)).collect(),
    )];
    for r in &rows {
        out.push(TableRow::new((0..cols).map(|c| cell(&r[c], widths[c], false)).collect()));
    }
    Table::new(out).set_grid(widths).width(text_width, WidthType::Dxa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, zip_files};

    fn document_xml(bytes: &[u8]) -> String {
        let files = zip_files(bytes, &Limits::default(), &["document.xml", "footer1.xml"]).expect("a zip");
        String::from_utf8(files.get("document.xml").expect("word/document.xml").clone()).expect("utf-8")
    }

    #[test]
    fn a_document_is_a_zip_with_its_texts_in_order() {
        let bytes = DocBuilder::new()
            .masthead("达州市重点产业链协同推进机制办公室")
            .doc_number("达强链办〔2026〕12号")
            .title("达州市重点项目2026年3月调度通报")
            .subtitle("（截至2026年4月5日）")
            .addressee("各县（市、区）人民政府，市级有关部门：")
            .heading1("总体情况")
            .para("全市共有重点项目 300 个，总投资 1,234.5 亿元。")
            .heading2("分产业链")
            .heading3("天然气化工")
            .table(
                &["产业链", "项目数", "完成率"],
                vec![vec!["天然气化工".into(), "12".into(), "85.2%".into()], vec!["氢能".into()]],
            )
            .note("注：完成率为年度计划投资的完成比例。")
            .heading1("下步工作")
            .heading2("压实责任")
            .para("第一行\n第二行 <&> \u{1}")
            .appendix("附件：赋码规则")
            .signature(&["达州市重点产业链协同推进机制办公室", "2026年4月6日"])
            .page_break()
            .build();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let xml = document_xml(&bytes);
        let texts = [
            "达州市重点产业链协同推进机制办公室",
            "达强链办〔2026〕12号",
            "达州市重点项目2026年3月调度通报",
            "一、总体情况",
            "全市共有重点项目 300 个",
            "（一）分产业链",
            "1.天然气化工",
            "天然气化工",
            "85.2%",
            "注：完成率",
            "二、下步工作",
            "（一）压实责任",
            "第二行 &lt;&amp;&gt; ",
            "附件：赋码规则",
            "2026年4月6日",
        ];
        let mut at = 0;
        for t in texts {
            let i = xml[at..].find(t).unwrap_or_else(|| panic!("“{t}” after position {at} in the document"));
            at += i;
        }
        assert!(!xml.contains('\u{1}'), "control characters are dropped");
        // A4, the red rule under the number, the fonts by name.
        assert!(xml.contains(r#"w:w="11906""#) && xml.contains(r#"w:h="16838""#), "A4");
        assert!(xml.contains("FF0000"));
        assert!(xml.contains("方正小标宋简体") && xml.contains("仿宋_GB2312"));
        assert!(xml.contains("<w:tbl>"), "a table");
    }

    #[test]
    fn headings_are_numbered_per_level() {
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(37), "三十七");
        let xml = document_xml(
            &DocBuilder::new()
                .heading1("甲")
                .heading2("子")
                .heading2("丑")
                .heading3("x")
                .heading1("乙")
                .heading2("寅")
                .heading3("y")
                .build(),
        );
        for t in ["一、甲", "（一）子", "（二）丑", "1.x", "二、乙", "（一）寅", "1.y"] {
            assert!(xml.contains(t), "{t}");
        }
    }

    #[test]
    fn numbers_are_recognised_for_alignment() {
        assert!(numeric("1,234.5"));
        assert!(numeric("-3"));
        assert!(numeric("85.2%"));
        assert!(!numeric("XM-2026-0001"));
        assert!(!numeric(""));
        assert!(!numeric("—"));
    }

    #[test]
    fn an_empty_table_still_builds() {
        let xml = document_xml(&DocBuilder::new().table::<&str>(&[], vec![]).build());
        assert!(xml.contains("<w:tbl>"));
    }
}
