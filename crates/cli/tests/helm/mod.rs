//! A renderer for the small subset of Helm's template language that `deploy/helm/kubepci` is
//! written in (no helm binary here or in CI). Anything outside the subset is an error, never
//! passed through, so a template that real Helm would render differently cannot pass silently.
//!
//! The subset (documented for chart authors in `deploy/helm/kubepci/README.md`):
//! * actions `{{ … }}` with the trim markers `{{- ` and ` -}}`, and comments `{{/* … */}}`;
//! * `if` / `else if` / `else` / `end` (no `range`, `with`, `define`, `template`, `include`,
//!   variables or parentheses);
//! * terms: `.Values.a.b`, `.Release.Name`, `.Release.Namespace`, `.Chart.Name`,
//!   `.Chart.Version`, `.Chart.AppVersion`, "string" and integer literals;
//! * functions, called as `fn arg…` or at a pipe stage `x | fn arg…` (x is the last
//!   argument): `quote`, `toYaml`, `indent N`, `nindent N`, `printf` (`%s` only), `not`, `eq`,
//!   `ne`, `and`, `or`, `required MSG`, `fail MSG`.
//!
//! Stricter than Helm on purpose: a `.Values` key missing from the values is an error (Helm
//! prints nothing), and printing a map, a list or nothing without `toYaml` is an error.
//!
//! As Helm does, the merged values are validated against `values.schema.json` first, with a
//! validator of the JSON Schema keywords that file uses ([`validate_schema`]); any other
//! keyword is an error.

#![allow(dead_code)] // each test crate uses its own part

use std::path::Path;

use serde_json::{Map, Value};

/// A template reduced to its nodes.
#[derive(Debug)]
enum Node {
    Text(String),
    Output(Vec<Command>),
    /// `if` branches in order (`else if` included), then the `else` branch.
    If(Vec<(Vec<Command>, Vec<Node>)>, Vec<Node>),
}

/// One stage of a pipeline: a function with its arguments, or a lone term.
#[derive(Debug)]
enum Command {
    Term(Term),
    Call(String, Vec<Term>),
}

#[derive(Debug, Clone)]
enum Term {
    Field(Vec<String>),
    Str(String),
    Int(i64),
}

const FUNCTIONS: &[&str] = &["quote", "toYaml", "indent", "nindent", "printf", "not", "eq", "ne", "and", "or", "required", "fail"];
const UNSUPPORTED: &[&str] = &["range", "with", "define", "template", "block", "include", "tpl", "break", "continue"];

/// A raw action or a piece of text, after trim markers were applied.
enum Piece {
    Text(String),
    Action(String),
}

fn lex(source: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = source;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[start + 2..];
        let (trim_left, body_start) = if after.starts_with("- ") || after.starts_with("-\n") { (true, 2) } else { (false, 0) };
        if trim_left {
            text = text.trim_end();
        }
        pieces.push(Piece::Text(text.to_string()));
        let body = &after[body_start..];
        let end = find_close(body).ok_or_else(|| format!("unclosed action at {:?}", truncate(&rest[start..])))?;
        let mut inner = &body[..end];
        trim_next = inner.ends_with(" -") || inner.ends_with("\n-");
        if trim_next {
            inner = &inner[..inner.len() - 2];
        }
        pieces.push(Piece::Action(inner.trim().to_string()));
        rest = &body[end + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    if text.contains("}}") {
        return Err(format!("stray }}}} in {:?}", truncate(text)));
    }
    pieces.push(Piece::Text(text.to_string()));
    Ok(pieces)
}

/// The `}}` that closes an action, outside string literals.
fn find_close(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'}' if !in_string && bytes[i + 1] == b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn tokenize(action: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut chars = action.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::from("\"");
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some(e @ ('"' | '\\')) => s.push(e),
                        other => return Err(format!("unsupported escape \\{other:?} in {action:?}")),
                    },
                    Some('"') => break,
                    Some(ch) => s.push(ch),
                    None => return Err(format!("unterminated string in {action:?}")),
                }
            }
            tokens.push(s);
        } else if c == '|' {
            chars.next();
            tokens.push("|".into());
        } else if c == '(' || c == ')' || c == '$' || c == '`' || c == '\'' {
            return Err(format!("unsupported {c:?} in {{{{ {action} }}}}"));
        } else {
            let mut word = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() || ch == '|' || ch == '"' || ch == '(' || ch == ')' {
                    break;
                }
                word.push(ch);
                chars.next();
            }
            tokens.push(word);
        }
    }
    Ok(tokens)
}

fn term(token: &str, action: &str) -> Result<Term, String> {
    if let Some(s) = token.strip_prefix('"') {
        return Ok(Term::Str(s.to_string()));
    }
    if let Some(path) = token.strip_prefix('.') {
        let parts: Vec<String> = path.split('.').map(str::to_string).collect();
        if parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            return Err(format!("unsupported field {token:?} in {{{{ {action} }}}}"));
        }
        return Ok(Term::Field(parts));
    }
    if let Ok(n) = token.parse::<i64>() {
        return Ok(Term::Int(n));
    }
    Err(format!("unsupported term {token:?} in {{{{ {action} }}}}"))
}

fn pipeline(tokens: &[String], action: &str) -> Result<Vec<Command>, String> {
    if tokens.is_empty() {
        return Err(format!("empty pipeline in {{{{ {action} }}}}"));
    }
    let mut commands = Vec::new();
    for stage in tokens.split(|t| t == "|") {
        let Some((first, args)) = stage.split_first() else { return Err(format!("empty pipe stage in {{{{ {action} }}}}")) };
        let first_is_literal = first.starts_with('"') || first.starts_with('.') || first.parse::<i64>().is_ok();
        if first_is_literal {
            if !args.is_empty() {
                return Err(format!("a term cannot take arguments in {{{{ {action} }}}}"));
            }
            commands.push(Command::Term(term(first, action)?));
        } else if FUNCTIONS.contains(&first.as_str()) {
            let args = args.iter().map(|a| if FUNCTIONS.contains(&a.as_str()) { Err(format!("nested call {a:?} needs parentheses (unsupported) in {{{{ {action} }}}}")) } else { term(a, action) }).collect::<Result<_, _>>()?;
            commands.push(Command::Call(first.clone(), args));
        } else {
            return Err(format!("unsupported function or keyword {first:?} in {{{{ {action} }}}}"));
        }
    }
    if commands.iter().skip(1).any(|c| matches!(c, Command::Term(_))) {
        return Err(format!("a term after a pipe in {{{{ {action} }}}}"));
    }
    Ok(commands)
}

/// Parse pieces into nodes until an `else`/`end` (returned) or the end of input.
fn parse_block(pieces: &mut std::iter::Peekable<std::vec::IntoIter<Piece>>, depth: usize) -> Result<(Vec<Node>, Option<Vec<String>>), String> {
    let mut nodes = Vec::new();
    while let Some(piece) = pieces.next() {
        let action = match piece {
            Piece::Text(t) => {
                if !t.is_empty() {
                    nodes.push(Node::Text(t));
                }
                continue;
            }
            Piece::Action(a) => a,
        };
        if action.starts_with("/*") {
            if !action.ends_with("*/") {
                return Err(format!("unterminated comment {{{{ {} }}}}", truncate(&action)));
            }
            continue;
        }
        let tokens = tokenize(&action)?;
        let Some(keyword) = tokens.first() else { return Err("empty action {{ }}".into()) };
        if UNSUPPORTED.contains(&keyword.as_str()) {
            return Err(format!("unsupported action {keyword:?} in {{{{ {action} }}}}"));
        }
        match keyword.as_str() {
            "if" => {
                let mut branches = vec![];
                let mut condition = pipeline(&tokens[1..], &action)?;
                let otherwise;
                loop {
                    let (body, closing) = parse_block(pieces, depth + 1)?;
                    branches.push((condition, body));
                    let closing = closing.ok_or_else(|| format!("{{{{ {action} }}}} has no {{{{ end }}}}"))?;
                    match closing.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                        ["end"] => {
                            otherwise = vec![];
                            break;
                        }
                        ["else"] => {
                            let (body, closing) = parse_block(pieces, depth + 1)?;
                            if closing.as_deref() != Some(&["end".to_string()][..]) {
                                return Err(format!("{{{{ else }}}} of {{{{ {action} }}}} must be followed by {{{{ end }}}}"));
                            }
                            otherwise = body;
                            break;
                        }
                        ["else", "if", ..] => condition = pipeline(&closing[2..], &action)?,
                        other => return Err(format!("unexpected {other:?} closing {{{{ {action} }}}}")),
                    }
                }
                nodes.push(Node::If(branches, otherwise));
            }
            "else" | "end" => {
                if depth == 0 {
                    return Err(format!("{{{{ {action} }}}} without {{{{ if }}}}"));
                }
                if keyword == "end" && tokens.len() > 1 {
                    return Err(format!("unexpected {{{{ {action} }}}}"));
                }
                return Ok((nodes, Some(tokens)));
            }
            _ => nodes.push(Node::Output(pipeline(&tokens, &action)?)),
        }
    }
    Ok((nodes, None))
}

fn parse(source: &str) -> Result<Vec<Node>, String> {
    let mut pieces = lex(source)?.into_iter().peekable();
    let (nodes, closing) = parse_block(&mut pieces, 0)?;
    match closing {
        None => Ok(nodes),
        Some(c) => Err(format!("unexpected {{{{ {} }}}}", c.join(" "))),
    }
}

/// Go template truth: false, 0, nil and empty strings, lists and maps are false.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn printed(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(format!("{what}: nothing to print (null)")),
        Value::Array(_) | Value::Object(_) => Err(format!("{what}: a list or map printed without toYaml")),
    }
}

fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => return format!("{s:?}"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn indent(n: &Value, s: &Value, name: &str) -> Result<String, String> {
    let n = n.as_u64().ok_or_else(|| format!("{name}: the width must be a number"))? as usize;
    let pad = " ".repeat(n);
    let s = printed(s, name)?;
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

struct Scope<'a> {
    root: &'a Value,
}

impl Scope<'_> {
    fn term(&self, t: &Term) -> Result<Value, String> {
        match t {
            Term::Str(s) => Ok(Value::String(s.clone())),
            Term::Int(n) => Ok(Value::from(*n)),
            Term::Field(path) => {
                let mut v = self.root;
                for (i, part) in path.iter().enumerate() {
                    v = v.as_object().and_then(|m| m.get(part)).ok_or_else(|| format!("no value at .{} (every key the templates use must be in values.yaml)", path[..=i].join(".")))?;
                }
                Ok(v.clone())
            }
        }
    }

    fn pipeline(&self, commands: &[Command]) -> Result<Value, String> {
        let mut piped: Option<Value> = None;
        for command in commands {
            piped = Some(match command {
                Command::Term(t) => self.term(t)?,
                Command::Call(name, args) => {
                    let mut values = args.iter().map(|a| self.term(a)).collect::<Result<Vec<_>, _>>()?;
                    values.extend(piped.take());
                    call(name, &values)?
                }
            });
        }
        piped.ok_or_else(|| "empty pipeline".to_string())
    }

    fn render(&self, nodes: &[Node], out: &mut String) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Output(p) => out.push_str(&printed(&self.pipeline(p)?, "{{ … }}")?),
                Node::If(branches, otherwise) => {
                    let mut taken = None;
                    for (condition, body) in branches {
                        if truthy(&self.pipeline(condition)?) {
                            taken = Some(body);
                            break;
                        }
                    }
                    self.render(taken.unwrap_or(otherwise), out)?;
                }
            }
        }
        Ok(())
    }
}

fn arity(name: &str, values: &[Value], n: usize) -> Result<(), String> {
    if values.len() == n { Ok(()) } else { Err(format!("{name} takes {n} argument(s), got {}", values.len())) }
}

fn call(name: &str, v: &[Value]) -> Result<Value, String> {
    let text = |s: String| Ok(Value::String(s));
    match name {
        "quote" => {
            arity(name, v, 1)?;
            text(go_quote(&printed(&v[0], "quote")?))
        }
        "toYaml" => {
            arity(name, v, 1)?;
            let yaml = yaml_serde::to_string(&v[0]).map_err(|e| format!("toYaml: {e}"))?;
            text(yaml.trim_end_matches('\n').to_string())
        }
        "indent" => {
            arity(name, v, 2)?;
            text(indent(&v[0], &v[1], name)?)
        }
        "nindent" => {
            arity(name, v, 2)?;
            text(format!("\n{}", indent(&v[0], &v[1], name)?))
        }
        "printf" => {
            let (format, args) = v.split_first().ok_or("printf needs a format")?;
            let format = format.as_str().ok_or("printf: the format must be a string")?;
            let mut args = args.iter();
            let mut out = String::new();
            let mut chars = format.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('s') => out.push_str(&printed(args.next().ok_or("printf: too few arguments")?, "printf")?),
                    Some('%') => out.push('%'),
                    other => return Err(format!("printf: only %s is supported, not %{}", other.map(String::from).unwrap_or_default())),
                }
            }
            if args.next().is_some() {
                return Err("printf: too many arguments".into());
            }
            text(out)
        }
        "not" => {
            arity(name, v, 1)?;
            Ok(Value::Bool(!truthy(&v[0])))
        }
        "eq" | "ne" => {
            arity(name, v, 2)?;
            let same_type = std::mem::discriminant(&v[0]) == std::mem::discriminant(&v[1]);
            if !same_type || v[0].is_array() || v[0].is_object() {
                return Err(format!("{name}: incomparable {} and {}", v[0], v[1]));
            }
            Ok(Value::Bool((v[0] == v[1]) == (name == "eq")))
        }
        // Go's and/or return an argument (the first false or the last; the first true or the last).
        "and" | "or" => {
            if v.len() < 2 {
                return Err(format!("{name} takes at least 2 arguments"));
            }
            let stop = name == "or";
            Ok(v.iter().find(|x| truthy(x) == stop).unwrap_or(&v[v.len() - 1]).clone())
        }
        "required" => {
            arity(name, v, 2)?;
            let missing = v[1].is_null() || v[1].as_str() == Some("");
            if missing { Err(format!("required: {}", printed(&v[0], name)?)) } else { Ok(v[1].clone()) }
        }
        "fail" => {
            arity(name, v, 1)?;
            Err(format!("fail: {}", printed(&v[0], name)?))
        }
        _ => Err(format!("unsupported function {name:?}")),
    }
}

/// Render one template source with `.Values`, `.Release` and `.Chart` from `root`.
pub fn render_template(source: &str, root: &Value) -> Result<String, String> {
    let nodes = parse(source)?;
    let mut out = String::new();
    Scope { root }.render(&nodes, &mut out)?;
    Ok(out)
}

/// `overrides` merged into `base` as Helm merges `-f`/`--set` values: maps key by key,
/// anything else replaced.
pub fn merge(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

pub fn read_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

const SCHEMA_KEYWORDS: &[&str] = &["$schema", "title", "description", "type", "properties", "additionalProperties", "required", "enum", "minimum", "maximum", "minLength"];

/// `value` against `schema`, for the keywords in [`SCHEMA_KEYWORDS`] (draft-07 meanings).
/// `path` names the value in messages (`database.type`).
pub fn validate_schema(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let Some(rules) = schema.as_object() else { return Err(format!("{path}: the schema is not an object")) };
    if let Some(unknown) = rules.keys().find(|k| !SCHEMA_KEYWORDS.contains(&k.as_str())) {
        return Err(format!("{path}: schema keyword {unknown:?} is outside the supported subset"));
    }
    let at = |p: &str| if path.is_empty() { p.to_string() } else { format!("{path}.{p}") };
    if let Some(kind) = rules.get("type") {
        let ok = match kind.as_str() {
            Some("object") => value.is_object(),
            Some("string") => value.is_string(),
            Some("boolean") => value.is_boolean(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("array") => value.is_array(),
            Some("null") => value.is_null(),
            _ => return Err(format!("{path}: unsupported schema type {kind}")),
        };
        if !ok {
            return Err(format!("{path}: {value} is not of type {kind}"));
        }
    }
    if let Some(allowed) = rules.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{path}: {value} is not one of {}", Value::Array(allowed.clone())));
    }
    if let Some(n) = value.as_f64()
        && (rules.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min) || rules.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max))
    {
        return Err(format!("{path}: {value} is out of range"));
    }
    if let (Some(text), Some(min)) = (value.as_str(), rules.get("minLength").and_then(Value::as_u64))
        && (text.chars().count() as u64) < min
    {
        return Err(format!("{path}: {value} is shorter than {min}"));
    }
    if let Some(object) = value.as_object() {
        for key in rules.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(key) {
                return Err(format!("{}: required", at(key)));
            }
        }
        let properties = rules.get("properties").and_then(Value::as_object);
        for (key, v) in object {
            match (properties.and_then(|p| p.get(key)), rules.get("additionalProperties")) {
                (Some(sub), _) => validate_schema(sub, v, &at(key))?,
                (None, Some(Value::Bool(false))) => return Err(format!("{}: not a value of this chart (additionalProperties: false)", at(key))),
                (None, Some(sub @ Value::Object(_))) => validate_schema(sub, v, &at(key))?,
                (None, _) => {}
            }
        }
    }
    Ok(())
}

/// Every template of the chart rendered (file name → text), as `helm template NAME CHART
/// --namespace NAMESPACE` with the values overridden by `overrides`.
pub fn render_chart(chart: &Path, release: &str, namespace: &str, overrides: &Value) -> Result<Vec<(String, String)>, String> {
    let meta = read_yaml(&chart.join("Chart.yaml"))?;
    let mut values = read_yaml(&chart.join("values.yaml"))?;
    merge(&mut values, overrides);
    let schema = chart.join("values.schema.json");
    if schema.exists() {
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&schema).map_err(|e| e.to_string())?).map_err(|e| format!("values.schema.json: {e}"))?;
        validate_schema(&schema, &values, "").map_err(|e| format!("values don't meet the specifications of the schema: {e}"))?;
    }
    let field = |k: &str| meta.get(k).cloned().unwrap_or(Value::Null);
    let mut chart_object = Map::new();
    chart_object.insert("Name".into(), field("name"));
    chart_object.insert("Version".into(), field("version"));
    chart_object.insert("AppVersion".into(), field("appVersion"));
    let root = serde_json::json!({
        "Values": values,
        "Release": {"Name": release, "Namespace": namespace},
        "Chart": chart_object,
    });
    let mut files: Vec<_> = std::fs::read_dir(chart.join("templates")).map_err(|e| e.to_string())?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    files.sort();
    let mut rendered = Vec::new();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !name.ends_with(".yaml") || name.starts_with('_') {
            return Err(format!("templates/{name}: only *.yaml manifests are in the subset (no partials, NOTES.txt)"));
        }
        let source = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        rendered.push((name.clone(), render_template(&source, &root).map_err(|e| format!("templates/{name}: {e}"))?));
    }
    Ok(rendered)
}

/// The rendered chart as Kubernetes objects (empty documents dropped, as Helm drops them).
pub fn render_objects(chart: &Path, namespace: &str, overrides: &Value) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for (name, text) in render_chart(chart, "kubepci", namespace, overrides)? {
        for doc in yaml_serde::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).map_err(|e| format!("templates/{name} renders invalid YAML: {e}\n{text}"))?;
            if value.is_null() {
                continue;
            }
            if value.get("apiVersion").is_none() || value.get("kind").is_none() {
                return Err(format!("templates/{name} renders a document without apiVersion and kind: {value}"));
            }
            objects.push(value);
        }
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, values: Value) -> Result<String, String> {
        render_template(source, &json!({"Values": values, "Release": {"Name": "r", "Namespace": "ns"}, "Chart": {}}))
    }

    #[test]
    fn outputs_pipes_and_trim_markers() {
        let values = json!({"name": "a\"b", "res": {"limits": {"cpu": "2", "memory": "1Gi"}}, "on": true, "n": 3});
        assert_eq!(render("x: {{ .Values.name | quote }} {{ .Release.Namespace }}", values.clone()).unwrap(), "x: \"a\\\"b\" ns");
        assert_eq!(render("r: {{- toYaml .Values.res | nindent 2 }}", values.clone()).unwrap(), "r:\n  limits:\n    cpu: '2'\n    memory: 1Gi");
        assert_eq!(render("a\n  {{- if .Values.on }}\n  b\n  {{- end }}\nc", values.clone()).unwrap(), "a\n  b\nc");
        assert_eq!(render("{{/* note */}}a {{- /* note */ -}} b", values.clone()).unwrap(), "ab");
        assert_eq!(render("{{ printf \"%s-x\" .Values.n }}", values.clone()).unwrap(), "3-x");
        assert_eq!(render("{{ if not .Values.on }}1{{ else if eq .Values.n 3 }}2{{ else }}3{{ end }}", values.clone()).unwrap(), "2");
        assert_eq!(render("{{ if and .Values.on (.Values.n) }}{{ end }}", values.clone()).unwrap_err(), "unsupported '(' in {{ if and .Values.on (.Values.n) }}");
        assert_eq!(render("{{ or .Values.on .Values.n }}", values).unwrap(), "true");
    }

    #[test]
    fn anything_outside_the_subset_is_an_error() {
        let values = json!({"list": [1], "map": {}, "empty": ""});
        for (source, error) in [
            ("{{ range .Values.list }}x{{ end }}", "unsupported action \"range\""),
            ("{{ include \"x\" . }}", "unsupported action \"include\""),
            ("{{ $x := 1 }}", "unsupported '$'"),
            ("{{ .Values.missing }}", "no value at .Values.missing"),
            ("{{ .Values.map.deep.key }}", "no value at .Values.map.deep"),
            ("{{ .Values.list }}", "without toYaml"),
            ("{{ .Values.list | default 1 }}", "unsupported function or keyword \"default\""),
            ("{{ if .Values.empty }}", "has no {{ end }}"),
            ("{{ end }}", "without {{ if }}"),
            ("{{ .Values.empty", "unclosed action"),
            ("{{ required \"give it\" .Values.empty }}", "required: give it"),
            ("{{ fail \"no\" }}", "fail: no"),
            ("{{ eq .Values.empty 1 }}", "incomparable"),
            ("{{ printf \"%d\" 1 }}", "only %s"),
            ("{{ quote }}", "quote takes 1"),
        ] {
            let err = render(source, values.clone()).expect_err(source);
            assert!(err.contains(error), "{source}: {err}");
        }
    }

    #[test]
    fn schema_subset() {
        let schema = json!({"type": "object", "additionalProperties": false, "required": ["mode"], "properties": {
            "mode": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer", "minimum": 1, "maximum": 3},
            "name": {"type": "string", "minLength": 1}, "labels": {"type": "object", "additionalProperties": {"type": "string"}}}});
        assert_eq!(validate_schema(&schema, &json!({"mode": "a", "n": 2, "labels": {"x": "y"}}), ""), Ok(()));
        for (value, error) in [
            (json!({"n": 1}), "mode: required"),
            (json!({"mode": "c"}), "mode: \"c\" is not one of [\"a\",\"b\"]"),
            (json!({"mode": "a", "n": 4}), "n: 4 is out of range"),
            (json!({"mode": "a", "n": "2"}), "n: \"2\" is not of type \"integer\""),
            (json!({"mode": "a", "name": ""}), "name: \"\" is shorter than 1"),
            (json!({"mode": "a", "typo": 1}), "typo: not a value of this chart"),
            (json!({"mode": "a", "labels": {"x": 1}}), "labels.x: 1 is not of type"),
        ] {
            let err = validate_schema(&schema, &value, "").expect_err(&value.to_string());
            assert!(err.starts_with(error), "{value}: {err}");
        }
        assert!(validate_schema(&json!({"pattern": "x"}), &json!("x"), "v").unwrap_err().contains("outside the supported subset"));
    }

    #[test]
    fn values_merge_like_helm() {
        let mut base = json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        merge(&mut base, &json!({"a": {"c": [3]}, "e": true}));
        assert_eq!(base, json!({"a": {"b": 1, "c": [3]}, "d": "x", "e": true}));
    }
}
