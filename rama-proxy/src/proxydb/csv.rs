//! A small strict CSV reader (RFC 4180) for the proxy database's fixed columns.
//!
//! Written here instead of adding the `csv` crate: the database has one fixed column set,
//! files are small, and what is needed is strictness with line numbers (a stray quote, an
//! unterminated quoted field or a wrong field count is an error naming its line), which is
//! about sixty lines of code.

use super::error::LoadError;

/// One record: the line it starts on, and its fields.
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// Split `text` into records. Fields are separated by `,`, records by CRLF or LF; a field in
/// double quotes may hold commas, line breaks and `""` (one quote). Blank lines are skipped.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, LoadError> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted_field = false;
        loop {
            match chars.next() {
                None => {
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some('\n') => {
                    line += 1;
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                Some(',') => {
                    fields.push(std::mem::take(&mut field));
                    quoted_field = false;
                }
                Some('"') if field.is_empty() && !quoted_field => {
                    quoted_field = true;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(LoadError::at_line(start, "unterminated quoted field"));
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    line += 1;
                                }
                                field.push(c);
                            }
                        }
                    }
                    match chars.peek() {
                        None | Some(',' | '\n' | '\r') => {}
                        Some(c) => {
                            return Err(LoadError::at_line(
                                line,
                                format!("{c:?} after a closing quote (want `,` or end of line)"),
                            ));
                        }
                    }
                }
                Some('"') => {
                    return Err(LoadError::at_line(line, "a quote inside an unquoted field"));
                }
                Some(c) => field.push(c),
            }
        }
        let blank = fields.len() == 1 && fields[0].is_empty();
        if !blank {
            records.push(Record {
                line: start,
                fields,
            });
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        type Want = Result<Vec<(usize, Vec<&'static str>)>, &'static str>;
        let rows: &[(&str, Want)] = &[
            ("a,b\n", Ok(vec![(1, vec!["a", "b"])])),
            (
                "a,b\r\nc,d",
                Ok(vec![(1, vec!["a", "b"]), (2, vec!["c", "d"])]),
            ),
            ("a,,\n", Ok(vec![(1, vec!["a", "", ""])])),
            ("\n\na\n", Ok(vec![(3, vec!["a"])])),
            ("\"x,y\",z\n", Ok(vec![(1, vec!["x,y", "z"])])),
            ("\"say \"\"hi\"\"\"\n", Ok(vec![(1, vec!["say \"hi\""])])),
            (
                "\"two\nlines\",b\nc\n",
                Ok(vec![(1, vec!["two\nlines", "b"]), (3, vec!["c"])]),
            ),
            ("\"\",a\n", Ok(vec![(1, vec!["", "a"])])),
            ("a\nb\"c\n", Err("line 2: a quote inside an unquoted field")),
            ("\"abc\n", Err("line 1: unterminated quoted field")),
            ("\"ab\"c\n", Err("line 1: 'c' after a closing quote")),
        ];
        for (input, want) in rows {
            let got = parse(input)
                .map(|records| {
                    records
                        .into_iter()
                        .map(|r| (r.line, r.fields))
                        .collect::<Vec<_>>()
                })
                .map_err(|e| e.to_string());
            match (want, got) {
                (Ok(want), Ok(got)) => {
                    let got: Vec<(usize, Vec<&str>)> = got
                        .iter()
                        .map(|(l, f)| (*l, f.iter().map(String::as_str).collect()))
                        .collect();
                    assert_eq!(&got, want, "{input:?}");
                }
                (Err(want), Err(got)) => assert!(got.contains(want), "{input:?}: {got}"),
                (want, got) => panic!("{input:?}: want {want:?}, got {got:?}"),
            }
        }
    }
}
