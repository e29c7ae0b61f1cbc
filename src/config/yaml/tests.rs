//! Tests of the YAML reader: spans, scalar styles, aliases and merges, and rejected documents.

use super::*;

fn parse_ok(text: &str) -> (SourceFile, RawNode) {
    let file = SourceFile::new("t.yaml".into(), text, 0);
    let mut diags = Vec::new();
    let root = parse(&file, &mut diags).expect("parses");
    assert!(diags.is_empty(), "{diags:?}");
    (file, root)
}

fn parse_err(text: &str) -> Vec<ConfigDiagnostic> {
    let file = SourceFile::new("t.yaml".into(), text, 0);
    let mut diags = Vec::new();
    parse(&file, &mut diags);
    diags
}

fn get<'a>(node: &'a RawNode, key: &str) -> &'a RawNode {
    let RawKind::Mapping(entries) = &node.kind else {
        panic!("not a mapping: {node:?}");
    };
    &entries.iter().find(|e| e.key == key).expect(key).value
}

fn text(node: &RawNode) -> &str {
    match &node.kind {
        RawKind::Scalar { text, .. } => text,
        other => panic!("not a scalar: {other:?}"),
    }
}

#[test]
fn spans_are_byte_offsets_covering_the_value_only() {
    let source = "a: \"äé\"  # note\nb: ü ß # c\nc: 'it''s'   \nd: |\n  x\n  y\n\ne: [ö, {k: ü}]\n";
    let (file, root) = parse_ok(source);
    let cases = [
        ("a", "\"äé\""),
        ("b", "ü ß"),
        ("c", "'it''s'"),
        ("d", "x\n  y"),
        ("e", "[ö, {k: ü}]"),
    ];
    for (key, expected) in cases {
        assert_eq!(file.slice(get(&root, key).span), expected, "{key}");
    }
}

#[test]
fn scalar_style_decides_later_typing() {
    let (_, root) = parse_ok("a: 1\nb: '1'\nc: \"1\"\nd: !!str 1\ne: |\n  1\n");
    let plain: Vec<bool> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|k| matches!(get(&root, k).kind, RawKind::Scalar { plain: true, .. }))
        .collect();
    assert_eq!(plain, [true, false, false, false, false]);
}

#[test]
fn aliases_repeat_their_anchor_and_merge_keys_fill_in() {
    let (_, root) = parse_ok(
        "base: &b {x: 1, y: 2}\ncopy: *b\nmerged: {<<: *b, y: 3}\nmany: {<<: [*b, {z: 4}], x: 0}\n",
    );
    assert_eq!(get(&root, "copy").kind, get(&root, "base").kind);
    let merged = get(&root, "merged");
    assert_eq!((text(get(merged, "x")), text(get(merged, "y"))), ("1", "3"));
    let many = get(&root, "many");
    assert_eq!(
        (
            text(get(many, "x")),
            text(get(many, "y")),
            text(get(many, "z"))
        ),
        ("0", "2", "4")
    );
}

#[test]
fn broken_documents_are_reported_with_their_code() {
    let cases = [
        ("a: 1\na: 2\n", Code::DuplicateKey),
        ("a: [1\nb: 2\n", Code::YamlSyntax),
        ("a: *missing\n", Code::YamlSyntax),
        ("a: 1\n---\nb: 2\n", Code::MultipleDocuments),
        ("", Code::EmptyFile),
        ("# only a comment\n", Code::EmptyFile),
        ("a: !custom x\n", Code::UnsupportedYaml),
        ("a: !custom {x: 1}\n", Code::UnsupportedYaml),
        ("? [k]\n: v\n", Code::UnsupportedYaml),
        ("a: &a [*a]\n", Code::UnsupportedYaml),
        ("<<: [1]\n", Code::UnsupportedYaml),
    ];
    for (source, code) in cases {
        let diags = parse_err(source);
        assert_eq!(diags.len(), 1, "{source:?}: {diags:?}");
        assert_eq!(diags[0].code(), Some(code), "{source:?}");
    }
}

#[test]
fn a_duplicate_key_points_at_both_keys() {
    let diags = parse_err("name: a\nother: b\nname: c\n");
    assert_eq!(diags[0].order().1, "name: a\nother: b\n".len());
}

#[test]
fn duplicate_keys_are_found_in_mappings_of_any_size() {
    // Small mappings scan their keys; from 16 entries on they are indexed.
    for size in [2, 15, 16, 17, 40] {
        let keys: String = (0..size).map(|i| format!("k{i}: {i}\n")).collect();
        for again in [0, size / 2, size - 1] {
            let diags = parse_err(&format!("{keys}k{again}: again\n"));
            assert_eq!(diags.len(), 1, "{size} keys, k{again} twice");
            assert_eq!(
                diags[0].order().1,
                keys.len(),
                "{size} keys, k{again} twice"
            );
        }
        let merged = format!(
            "base: &b {{k0: base, z: 1}}\nm:\n  <<: *b\n{}",
            keys.replace("k", "  k")
        );
        let (_, root) = parse_ok(&merged);
        let RawKind::Mapping(entries) = &get(&root, "m").kind else {
            panic!("not a mapping");
        };
        // `k0` written in the mapping wins over the merged one; `z` is merged in.
        assert_eq!(entries.len(), size + 1, "{size} keys");
        assert_eq!(text(get(get(&root, "m"), "k0")), "0");
        assert_eq!(text(get(get(&root, "m"), "z")), "1");
    }
}

#[test]
fn syntax_errors_point_at_the_byte_offset_of_the_problem() {
    // The error is found at the `ü`, after two 2-byte characters.
    let diags = parse_err("a: \"ää\" ü\n");
    assert_eq!(diags[0].code(), Some(Code::YamlSyntax));
    assert_eq!(diags[0].order().1, "a: \"ää\" ".len());
}

#[test]
fn alias_bombs_and_deep_nesting_stop_early() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(", ")
        ));
    }
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for source in [bomb, deep] {
        let diags = parse_err(&source);
        assert_eq!(diags.len(), 1);
        assert!(
            matches!(
                diags[0].code(),
                Some(Code::UnsupportedYaml | Code::YamlSyntax)
            ),
            "{diags:?}"
        );
    }
}
