use search::{JiebaTokenizer, industry_terms, tokenize};

#[test]
fn dictionary_terms_are_single_tokens() {
    for (text, term) in [
        ("四川玄武岩纤维新材料有限公司", "玄武岩纤维"),
        ("电池级碳酸锂生产", "碳酸锂"),
        ("单水氢氧化锂", "氢氧化锂"),
        ("玄武岩纤维布", "玄武岩纤维"),
        ("达州苎麻纺织", "苎麻纺织"),
        ("锂电池正极材料", "正极材料"),
        ("宣汉富硒茶", "富硒茶"),
    ] {
        let tokens = tokenize(text);
        assert!(tokens.iter().any(|t| t == term), "{term} not a token of {text}: {tokens:?}");
    }
    // Search mode adds the words inside as well.
    let tokens = tokenize("玄武岩纤维");
    assert!(tokens.contains(&"玄武岩".to_string()) && tokens.contains(&"纤维".to_string()), "{tokens:?}");
}

#[test]
fn query_words_are_the_maximal_tokens() {
    let t = JiebaTokenizer::new();
    assert_eq!(t.query_words("碳酸锂"), vec!["碳酸锂"]);
    assert_eq!(t.query_words("玄武岩纤维 玄武岩纤维"), vec!["玄武岩纤维"]);
}

#[test]
fn ascii_is_lowercased_and_punctuation_dropped() {
    let tokens = tokenize("ABC公司，生产PVC！！ 😀 「涂料」");
    assert!(tokens.contains(&"abc".to_string()), "{tokens:?}");
    assert!(tokens.contains(&"pvc".to_string()), "{tokens:?}");
    assert!(tokens.iter().all(|t| t.chars().any(char::is_alphanumeric)), "{tokens:?}");
    assert!(tokens.iter().all(|t| !t.chars().any(|c| c.is_ascii_uppercase())), "{tokens:?}");
    assert!(tokenize("，。！？ \t\n😀").is_empty());
}

#[test]
fn industry_dictionary_is_well_formed() {
    let dict = include_str!("../../../../data/search/industry_dict.txt");
    let mut n = 0;
    for line in dict.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts.len(), 3, "line {line:?} is not `word freq tag`");
        assert!(parts[1].parse::<usize>().is_ok(), "bad frequency in {line:?}");
        n += 1;
    }
    assert!((150..=300).contains(&n), "{n} terms");
    let terms: Vec<&str> = industry_terms().collect();
    assert_eq!(terms.len(), n);
    for required in ["玄武岩纤维", "碳酸锂", "氢氧化锂", "苎麻", "页岩气", "锂电池", "富硒茶", "无人机", "数据中心"]
    {
        assert!(terms.contains(&required), "{required} missing");
    }
}
