use chrono::NaiveDate;
use office::dates::{Period, excel_serial_to_date, parse_date, parse_period};
use office::numbers::{format_number, parse_int, parse_number};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn every_date_form() {
    let jan3 = d(2025, 1, 3);
    for s in [
        "2025-01-03",
        "2025-1-3",
        "2025/1/3",
        "2025/01/03",
        "2025.1.3",
        "2025年1月3日",
        "2025年01月03日",
        "2025年1月3号",
        "2025 年 1 月 3 日",
        "20250103",
        "45660",
        "45660.0",
        "45660.75",
        " 2025-01-03 ",
        "2025-01-03 00:00:00",
        "2025/1/3 0:00",
        "2025-01-03T08:30:00",
        "２０２５－０１－０３",
        "２０２５年１月３日",
    ] {
        assert_eq!(parse_date(s), Ok(jan3), "{s}");
    }
}

#[test]
fn excel_serials_and_the_1900_leap_year_bug() {
    assert_eq!(excel_serial_to_date(1.0), Some(d(1900, 1, 1)));
    assert_eq!(excel_serial_to_date(59.0), Some(d(1900, 2, 28)));
    assert_eq!(excel_serial_to_date(60.0), None);
    assert_eq!(excel_serial_to_date(61.0), Some(d(1900, 3, 1)));
    assert_eq!(excel_serial_to_date(45658.0), Some(d(2025, 1, 1)));
    assert_eq!(excel_serial_to_date(2_958_465.0), Some(d(9999, 12, 31)));
    assert_eq!(excel_serial_to_date(2_958_466.0), None);
    assert_eq!(excel_serial_to_date(0.0), None);
    assert_eq!(excel_serial_to_date(-1.0), None);
    assert_eq!(excel_serial_to_date(f64::NAN), None);
    assert_eq!(parse_date("61"), Ok(d(1900, 3, 1)));
    assert!(parse_date("60").unwrap_err().contains("Excel 日期序列号"));
}

#[test]
fn invalid_dates_get_clear_messages() {
    assert_eq!(parse_date("明天"), Err("日期“明天”无法识别，请使用 2025-01-03 格式".to_owned()));
    assert_eq!(parse_date("2025-02-30"), Err("日期“2025-02-30”不存在".to_owned()));
    assert_eq!(parse_date("20251301"), Err("日期“20251301”不存在".to_owned()));
    assert!(parse_date("2025").unwrap_err().contains("只有年份"));
    for bad in ["1/3/2025", "2025-01", "2025-01-03-04", "25/1/3", "2025/1-3", "-45660", "abc", "3000000"] {
        assert!(parse_date(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_date("  "), Err("日期为空".to_owned()));
}

#[test]
fn every_period_form() {
    let year = Period { year: 2025, month: None };
    let jan = Period { year: 2025, month: Some(1) };
    for s in ["2025", "2025年", "2025年度", "２０２５"] {
        assert_eq!(parse_period(s), Ok(year), "{s}");
    }
    for s in [
        "2025年1月",
        "2025年01月",
        "2025年1月份",
        "2025-01",
        "2025-1",
        "2025/1",
        "2025.1",
        "202501",
        "2025-01-01",
        "2025/1/1",
        "20250115",
        "45658",
        "45658.0",
        "2025年1月15日",
    ] {
        assert_eq!(parse_period(s), Ok(jan), "{s}");
    }
    assert_eq!(year.to_string(), "2025");
    assert_eq!(jan.to_string(), "2025-01");
}

#[test]
fn invalid_periods() {
    assert_eq!(parse_period("上半年"), Err("期别“上半年”无法识别，请使用 2025、2025年1月 或 2025-01 格式".to_owned()));
    assert!(parse_period("2025-13").unwrap_err().contains("月份应为 1 到 12"));
    assert!(parse_period("202513").unwrap_err().contains("月份应为 1 到 12"));
    assert!(parse_period("2025年0月").unwrap_err().contains("月份"));
    for bad in ["25", "12345678901", "2025-01-32", "60", ""] {
        assert!(parse_period(bad).is_err(), "{bad}");
    }
}

#[test]
fn numbers_as_people_write_them() {
    assert_eq!(parse_number("1,234.5"), Ok(1234.5));
    assert_eq!(parse_number("１２３４"), Ok(1234.0));
    assert_eq!(parse_number("1，234"), Ok(1234.0));
    assert_eq!(parse_number(" -12 "), Ok(-12.0));
    assert_eq!(parse_number("12.5%"), Ok(0.125));
    assert_eq!(parse_number("1e3"), Ok(1000.0));
    for bad in ["12万元", "abc", "", "inf", "NaN", "%", "1.2.3"] {
        assert!(parse_number(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_int("1,200"), Ok(1200));
    assert_eq!(parse_int("12.0"), Ok(12));
    assert_eq!(parse_int("12.5"), Err("“12.5”不是整数".to_owned()));
    assert_eq!(format_number(120.0), "120");
    assert_eq!(format_number(-0.0), "0");
    assert_eq!(format_number(0.1 + 0.2), "0.3");
    assert_eq!(format_number(1234.5678), "1234.5678");
    assert_eq!(format_number(13_800_138_000.0), "13800138000");
    assert_eq!(format_number(1e-7), "0.0000001");
}
