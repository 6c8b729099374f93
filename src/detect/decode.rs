//! Encoded values where secrets hide: the `data:` values of Kubernetes `Secret`
//! manifests, and any base64, base64url, hex or percent-encoded run that decodes to
//! text (a private key in a JSON field, a token in multipart test data, a password in
//! an encoded URL). Decoding is bounded: a fixed depth of nested encodings and a byte
//! budget per file. Findings point at the encoded span and say what was decoded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// An encoded value: its byte range in the file and its decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Byte offset of the encoded value.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// The decoded bytes.
    pub decoded: Vec<u8>,
}

/// Finds base64 values under `data:` in Kubernetes `Secret` manifests (YAML). Cheap
/// when the file is not one: a substring test first.
pub fn kubernetes_secret_values(content: &[u8]) -> Vec<Encoded> {
    static SECRET: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let mut out = Vec::new();
    // One pass over most files (a prebuilt finder for the rarer common part).
    let secret = SECRET.get_or_init(|| memchr::memmem::Finder::new(b"Secret"));
    if secret.find(content).is_none()
        || (!contains(content, b"kind: Secret") && !contains(content, b"kind: \"Secret\""))
    {
        return out;
    }
    let mut data_indent: Option<usize> = None;
    let mut offset = 0;
    for line in content.split(|&b| b == b'\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let body = &line[indent..];
        if body.is_empty() || body.starts_with(b"#") {
            continue;
        }
        if body.starts_with(b"---") {
            data_indent = None;
            continue;
        }
        if let Some(di) = data_indent {
            if indent <= di {
                data_indent = None;
            } else {
                if let Some(e) = encoded_value(body, line_start + indent) {
                    out.push(e);
                }
                continue;
            }
        }
        let trimmed = trim_end(body);
        if trimmed == b"data:" {
            data_indent = Some(indent);
        }
    }
    out
}

/// Decodes the value of a `key: value` line when it is plausible base64.
fn encoded_value(body: &[u8], body_start: usize) -> Option<Encoded> {
    let colon = body.iter().position(|&b| b == b':')?;
    let mut v_start = colon + 1;
    while v_start < body.len() && body[v_start] == b' ' {
        v_start += 1;
    }
    let mut value = trim_end(&body[v_start..]);
    let mut quote = 0;
    if let [q @ (b'"' | b'\''), rest @ ..] = value {
        quote = 1;
        value = rest.strip_suffix(&[*q]).unwrap_or(rest);
    }
    if value.len() < 8
        || !value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let decoded = STANDARD.decode(value).ok()?;
    let text_like = decoded
        .iter()
        .all(|&b| b >= 0x20 || b == b'\n' || b == b'\r' || b == b'\t');
    if !text_like {
        return None;
    }
    let start = body_start + v_start + quote;
    Some(Encoded {
        start,
        end: start + value.len(),
        decoded,
    })
}

/// How many layers of nested encodings are decoded (base64 of percent-encoded text is two).
pub const MAX_DEPTH: usize = 2;

/// Decoded bytes kept per file, over all layers: bounds memory and the rescan time on
/// files full of encoded blobs (a bundle with inline fonts, a source map).
pub const BYTE_BUDGET: usize = 64 * 1024;

/// Encoded runs longer than this are not decoded (fonts, images, archives).
const MAX_RUN: usize = 64 * 1024;

/// Shortest base64 run worth decoding: 18 bytes of text, less than any token format.
const MIN_BASE64_RUN: usize = 24;

/// Shortest hex run worth decoding.
const MIN_HEX_RUN: usize = 40;

/// An encoding the decoder undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Standard base64 (`+`, `/`), padded or not, possibly wrapped at 64 or 76 columns.
    Base64,
    /// URL-safe base64 (`-`, `_`).
    Base64Url,
    /// Hexadecimal text.
    Hex,
    /// Percent-encoding (`%40`).
    Percent,
}

impl Encoding {
    /// The name used in finding messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Base64Url => "base64url",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent-encoding",
        }
    }
}

/// Text found by undoing one or more encodings of a span of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Byte offset of the outermost encoded span in the file.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// The encodings undone, outermost first.
    pub chain: Vec<Encoding>,
    /// The decoded text.
    pub bytes: Vec<u8>,
}

/// Every encoded run of `content` that decodes to text, and the runs inside those, to
/// [`MAX_DEPTH`] layers and [`BYTE_BUDGET`] decoded bytes. With `quoted_only` (source
/// code), only base64 and hex runs that open a string literal are decoded (an encoded
/// credential in code is a literal, and finding quotes is much cheaper than reading
/// every byte), and percent-encoding is left to configuration files, where URLs with
/// credentials live.
pub fn decode_layers(content: &[u8], quoted_only: bool) -> Vec<Decoded> {
    let mut budget = BYTE_BUDGET;
    let mut out: Vec<Decoded> = Vec::new();
    let mut layer = Vec::new();
    {
        let mut top = |s, e, enc, bytes| {
            layer.push(Decoded {
                start: s,
                end: e,
                chain: vec![enc],
                bytes,
            })
        };
        if quoted_only {
            quoted_runs(content, &mut budget, &mut top);
        } else {
            encoded_runs(content, &mut budget, &mut top);
        }
    }
    for _ in 1..MAX_DEPTH {
        let mut next = Vec::new();
        for d in &layer {
            encoded_runs(&d.bytes, &mut budget, &mut |_, _, enc, bytes| {
                let mut chain = d.chain.clone();
                chain.push(enc);
                next.push(Decoded {
                    start: d.start,
                    end: d.end,
                    chain,
                    bytes,
                })
            });
        }
        out.append(&mut layer);
        if next.is_empty() {
            break;
        }
        layer = next;
    }
    out.append(&mut layer);
    out
}

/// Calls `found(start, end, encoding, decoded)` for each run of `content` that decodes
/// to text, while `budget` (decoded bytes) lasts.
fn encoded_runs(
    content: &[u8],
    budget: &mut usize,
    found: &mut dyn FnMut(usize, usize, Encoding, Vec<u8>),
) {
    let mut i = 0;
    let n = content.len();
    while i < n && *budget > 0 {
        // Skip ahead in strides: a run of MIN_BASE64_RUN base64 bytes starting at or
        // after `i` covers `i + MIN_BASE64_RUN - 1`, so a non-base64 byte there rules out
        // every start up to it. Most text is words shorter than a stride: this touches a
        // fraction of the bytes.
        let probe = i + MIN_BASE64_RUN - 1;
        if probe >= n {
            break;
        }
        if !is_b64_byte(content[probe]) {
            i = probe + 1;
            continue;
        }
        let mut k = probe;
        while k > i && is_b64_byte(content[k - 1]) {
            k -= 1;
        }
        if k > i {
            // A non-base64 byte at k - 1: a long run can only start at k.
            i = k;
            continue;
        }
        // content[i..=probe] is all base64: a run starts here (or earlier, already seen).
        // A maximal run of base64 characters; wrapped lines are joined only when a
        // line is full (most runs are one short word: no copy for them).
        let start = i;
        let mut end = i;
        let mut joined: Option<Vec<u8>> = None;
        loop {
            let line_start = end;
            while end < n && is_b64_byte(content[end]) {
                end += 1;
            }
            if let Some(j) = joined.as_mut() {
                j.extend_from_slice(&content[line_start..end]);
            }
            // Padding: only as the end of a run, never `KEY_B64=value`.
            let mut pad = end;
            while pad < n && content[pad] == b'=' && pad - end < 2 {
                pad += 1;
            }
            if pad > end && (pad == n || !is_b64_byte(content[pad])) {
                end = pad;
                break;
            }
            // MIME and PEM wrap base64 at 64 or 76 columns: a full line goes on.
            let width = end - line_start;
            let newline = match content.get(end..(end + 2).min(n)) {
                Some([b'\r', b'\n']) => 2,
                Some([b'\n', ..]) => 1,
                _ => 0,
            };
            if newline > 0
                && (width == 64 || width == 76)
                && content.get(end + newline).is_some_and(|&b| is_b64_byte(b))
                && end - start < MAX_RUN
            {
                joined.get_or_insert_with(|| content[start..end].to_vec());
                end += newline;
                continue;
            }
            break;
        }
        i = end.max(start + 1);
        let run = joined.as_deref().unwrap_or(&content[start..end]);
        decode_run(run, start, end, budget, found);
    }
    percent_runs(content, budget, found);
}

/// Base64 and hex runs that open a string literal (`"`, `'`, `` ` ``), found with a
/// vectorised search for quotes.
fn quoted_runs(
    content: &[u8],
    budget: &mut usize,
    found: &mut dyn FnMut(usize, usize, Encoding, Vec<u8>),
) {
    // Code holds a quote every few dozen bytes: the AVX2 searcher called directly saves
    // the generic search's dispatch on each of them (a third of its cost per quote).
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = memchr::arch::x86_64::avx2::memchr::Three::new(b'"', b'\'', b'`') {
        return runs_after_quotes(content, avx2.iter(content), budget, found);
    }
    let quotes = memchr::memchr3_iter(b'"', b'\'', b'`', content);
    runs_after_quotes(content, quotes, budget, found);
}

/// [`quoted_runs`] given the positions of the quotes, in order.
fn runs_after_quotes(
    content: &[u8],
    quotes: impl Iterator<Item = usize>,
    budget: &mut usize,
    found: &mut dyn FnMut(usize, usize, Encoding, Vec<u8>),
) {
    let n = content.len();
    let mut after = 0;
    for q in quotes {
        let start = q + 1;
        if start < after || *budget == 0 {
            continue;
        }
        let probe = start + MIN_BASE64_RUN - 1;
        if probe >= n || !content[start..=probe].iter().all(|&b| is_b64_byte(b)) {
            continue;
        }
        let mut end = probe + 1;
        while end < n && end - start < MAX_RUN && is_b64_byte(content[end]) {
            end += 1;
        }
        while end < n && content[end] == b'=' && end - start < MAX_RUN {
            end += 1;
        }
        after = end;
        decode_run(&content[start..end], start, end, budget, found);
    }
}

/// Decodes one base64 or hex run (`run` is the text of `content[start..end]`, wrapped
/// lines joined) and reports it when it decodes to text.
fn decode_run(
    run: &[u8],
    start: usize,
    end: usize,
    budget: &mut usize,
    found: &mut dyn FnMut(usize, usize, Encoding, Vec<u8>),
) {
    let body = trim_padding(run);
    if body.len() < MIN_BASE64_RUN || run.len() > MAX_RUN {
        return;
    }
    let decoded = if body.len() >= MIN_HEX_RUN
        && body.len().is_multiple_of(2)
        && body.iter().all(u8::is_ascii_hexdigit)
    {
        decode_hex(body).map(|d| (Encoding::Hex, d))
    } else {
        decode_base64(body)
    };
    if let Some((enc, bytes)) = decoded {
        let take = bytes.len().min(*budget);
        *budget -= take;
        if take == bytes.len() {
            found(start, end, enc, bytes);
        }
    }
}

/// Percent-encoded runs: the non-space, unquoted text around each `%XX`.
fn percent_runs(
    content: &[u8],
    budget: &mut usize,
    found: &mut dyn FnMut(usize, usize, Encoding, Vec<u8>),
) {
    let mut after = 0;
    for p in memchr::memchr_iter(b'%', content) {
        if p < after || *budget == 0 {
            continue;
        }
        if !content
            .get(p + 1..p + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            continue;
        }
        let is_url_byte =
            |b: u8| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>');
        let floor = p.saturating_sub(MAX_RUN);
        let mut s = p;
        while s > floor && is_url_byte(content[s - 1]) {
            s -= 1;
        }
        let ceil = (p + MAX_RUN).min(content.len());
        let mut e = p;
        while e < ceil && is_url_byte(content[e]) {
            e += 1;
        }
        after = e;
        let Some(bytes) = decode_percent(&content[s..e]) else {
            continue;
        };
        if bytes.len() > *budget {
            *budget = 0;
            return;
        }
        *budget -= bytes.len();
        found(s, e, Encoding::Percent, bytes);
    }
}

fn is_b64_byte(b: u8) -> bool {
    B64_BYTES[usize::from(b)]
}

/// Bytes of the base64 and base64url alphabets (padding apart), as a lookup table.
static B64_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        b += 1;
    }
    t
};

fn trim_padding(run: &[u8]) -> &[u8] {
    let n = run.iter().rposition(|&b| b != b'=').map_or(0, |p| p + 1);
    &run[..n]
}

/// Whether decoded bytes are text a rule can match: printable ASCII and line breaks.
fn is_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t'))
}

/// Lenient base64 (padding optional, trailing bits allowed), standard or URL-safe by
/// the alphabet the run uses. Rejects a run whose first bytes are not text before
/// decoding the rest: most base64-looking runs (hashes, fonts, identifiers) are not.
fn decode_base64(body: &[u8]) -> Option<(Encoding, Vec<u8>)> {
    // The first bytes decode alike in both alphabets (every byte of `body` is in one):
    // most runs fail here, before the alphabet is told and anything is allocated.
    if !probe_is_text(body) {
        return None;
    }
    let std_chars = body.iter().any(|b| matches!(b, b'+' | b'/'));
    let url_chars = body.iter().any(|b| matches!(b, b'-' | b'_'));
    let (enc, engine) = match (std_chars, url_chars) {
        (true, true) => return None,
        (_, false) => (Encoding::Base64, &*LENIENT_STANDARD),
        (false, true) => (Encoding::Base64Url, &*LENIENT_URL_SAFE),
    };
    // Identifiers (`AbstractSingletonProxyFactory`) are base64 characters too: a real
    // value mixes digits or symbols in, or is long.
    if !body.iter().any(|b| !b.is_ascii_alphabetic()) && body.len() < 64 {
        return None;
    }
    let usable = body.len() - body.len() % 4;
    let body = if body.len() % 4 == 1 {
        &body[..usable]
    } else {
        body
    };
    let bytes = engine.decode(body).ok()?;
    is_text(&bytes).then_some((enc, bytes))
}

/// Whether the 12 bytes the first 16 characters of `body` (base64 or base64url, at
/// least 16 characters) decode to are text, decoded three at a time and rejected at the
/// first bytes that are not (a digest or an identifier usually fails in the first three).
fn probe_is_text(body: &[u8]) -> bool {
    body[..16].chunks_exact(4).all(|q| {
        let v = |i: usize| u32::from(B64_VALUES[usize::from(q[i])]);
        let n = (v(0) << 18) | (v(1) << 12) | (v(2) << 6) | v(3);
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        is_text(&three)
    })
}

/// The 6-bit value of each base64 and base64url character (`+` and `-` are 62, `/` and
/// `_` are 63); 0 for other bytes, which never reach a decoder.
static B64_VALUES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

static LENIENT_STANDARD: std::sync::LazyLock<GeneralPurpose> = std::sync::LazyLock::new(|| {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
});

static LENIENT_URL_SAFE: std::sync::LazyLock<GeneralPurpose> = std::sync::LazyLock::new(|| {
    GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
});

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b.to_ascii_lowercase().wrapping_sub(b'a').wrapping_add(10),
    }
}

fn decode_hex(body: &[u8]) -> Option<Vec<u8>> {
    let byte = |p: &[u8]| (hex_value(p[0]) << 4) | hex_value(p[1]);
    // Most hex runs are digests: the first bytes already say they are not text.
    if !body[..16].chunks_exact(2).all(|p| is_text(&[byte(p)])) {
        return None;
    }
    let bytes: Vec<u8> = body.chunks_exact(2).map(byte).collect();
    is_text(&bytes).then_some(bytes)
}

/// Decodes `%XX` escapes (and `+` as a space is left alone: it is a valid secret byte).
fn decode_percent(run: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(run.len());
    let mut i = 0;
    let mut escapes = 0;
    while i < run.len() {
        if run[i] == b'%'
            && let Some(h) = run.get(i + 1..i + 3)
            && h.iter().all(u8::is_ascii_hexdigit)
        {
            out.push((hex_value(h[0]) << 4) | hex_value(h[1]));
            escapes += 1;
            i += 3;
        } else {
            out.push(run[i]);
            i += 1;
        }
    }
    (escapes > 0 && is_text(&out)).then_some(out)
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &s[..n]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_secret_data_values() {
        let value = STANDARD.encode("token-value-1234567890");
        let yaml = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  token: {value}\n  short: YQ==\nstringData:\n  a: b\n"
        );
        let found = kubernetes_secret_values(yaml.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(
            &yaml.as_bytes()[found[0].start..found[0].end],
            value.as_bytes()
        );
        assert_eq!(found[0].decoded, b"token-value-1234567890");
    }

    #[test]
    fn decodes_base64_hex_and_percent_runs_to_text() {
        let b64 = STANDARD.encode("token: ghp_abcdefghijklmnop0123456789");
        let hex: String = "password=Q7vL2x9pKm4RtWz8"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let text = format!("a: \"{b64}\"\nb={hex}\nc=https://u:Pk7%40vL2x9Qm4Rt@db.io/x\n"); // tokenward:allow[url-basic-auth-credentials] test input
        let found = decode_layers(text.as_bytes(), false);
        let kinds: Vec<Encoding> = found.iter().map(|d| d.chain[0]).collect();
        assert!(kinds.contains(&Encoding::Base64), "{found:?}");
        assert!(kinds.contains(&Encoding::Hex), "{found:?}");
        assert!(kinds.contains(&Encoding::Percent), "{found:?}");
        let b = found
            .iter()
            .find(|d| d.chain[0] == Encoding::Base64)
            .expect("b64");
        assert_eq!(&text.as_bytes()[b.start..b.end], b64.as_bytes());
    }

    #[test]
    fn decodes_nested_layers_to_a_fixed_depth() {
        let inner = STANDARD.encode("secret text that is long enough to matter");
        let outer = STANDARD.encode(format!("value: {inner}"));
        let found = decode_layers(format!("x = {outer}").as_bytes(), false);
        assert!(
            found
                .iter()
                .any(|d| d.chain == [Encoding::Base64, Encoding::Base64])
        );
        let three = STANDARD.encode(format!("v {outer}"));
        let found = decode_layers(format!("x = {three}").as_bytes(), false);
        assert!(found.iter().all(|d| d.chain.len() <= MAX_DEPTH));
    }

    #[test]
    fn binary_identifiers_and_padding_keys_are_not_decoded() {
        // A sha256 digest in base64 and hex, a long identifier, `KEY_B64=` before a value.
        let text = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\
                    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
                    AbstractSingletonProxyFactoryBeanImpl\n";
        assert!(decode_layers(text.as_bytes(), false).is_empty());
        let v = STANDARD.encode("a value that decodes to text");
        let found = decode_layers(format!("KEY_B64={v}").as_bytes(), false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].bytes, b"a value that decodes to text");
    }

    #[test]
    fn code_files_decode_only_string_literals() {
        let v = STANDARD.encode("a value that decodes to text");
        let code = format!("let a = \"{v}\";\nlet b = {v};\n");
        let found = decode_layers(code.as_bytes(), true);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(&code.as_bytes()[found[0].start..found[0].end], v.as_bytes());
        assert_eq!(decode_layers(code.as_bytes(), false).len(), 2);
    }

    #[test]
    fn the_probe_judges_the_first_bytes_as_the_decoder_does() {
        use base64::engine::general_purpose::URL_SAFE;
        let std_alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut x: u32 = 99;
        let mut next = |m: usize| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as usize % m
        };
        let (mut texts, mut others) = (0, 0);
        for round in 0..40_000 {
            let url = round % 2 == 1;
            let body: Vec<u8> = if round % 4 < 2 {
                // Base64 of 12 bytes, mostly text, sometimes one control or high byte.
                let plain: Vec<u8> = (0..12)
                    .map(|_| match next(40) {
                        0 => next(256) as u8,
                        _ => 0x20 + next(95) as u8,
                    })
                    .collect();
                let engine = if url { &URL_SAFE } else { &STANDARD };
                engine.encode(plain).into_bytes()
            } else {
                (0..16)
                    .map(|_| {
                        let c = std_alphabet[next(64)];
                        match (url, c) {
                            (true, b'+') => b'-',
                            (true, b'/') => b'_',
                            _ => c,
                        }
                    })
                    .collect()
            };
            let engine = if url {
                &*LENIENT_URL_SAFE
            } else {
                &*LENIENT_STANDARD
            };
            let want = is_text(&engine.decode(&body).expect("valid base64"));
            assert_eq!(
                probe_is_text(&body),
                want,
                "{}",
                String::from_utf8_lossy(&body)
            );
            if want {
                texts += 1;
            } else {
                others += 1;
            }
        }
        assert!(texts > 1000 && others > 1000, "{texts} {others}");
    }

    #[test]
    fn budget_bounds_decoded_bytes() {
        let v = STANDARD.encode("x".repeat(1000));
        let text = format!("{v}\n").repeat(2000);
        let total: usize = decode_layers(text.as_bytes(), false)
            .iter()
            .map(|d| d.bytes.len())
            .sum();
        assert!(total <= BYTE_BUDGET, "{total}");
    }

    #[test]
    fn ignores_other_manifests() {
        let yaml = "kind: ConfigMap\ndata:\n  token: dG9rZW4tdmFsdWUtMTIzNDU2Nzg5MA==\n";
        assert!(kubernetes_secret_values(yaml.as_bytes()).is_empty());
    }
}
