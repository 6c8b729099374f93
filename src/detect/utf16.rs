//! UTF-16 text files (Windows tools write `.ps1`, `.reg`, `.config` and exported
//! settings as UTF-16 with a byte-order mark): decoded to UTF-8 so the rules see the
//! text instead of skipping the file as binary for its NUL bytes.

/// Whether `bytes` starts with a UTF-16 byte-order mark (`FF FE` little-endian,
/// `FE FF` big-endian).
pub fn has_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// The UTF-8 text of a UTF-16 file with a byte-order mark (the mark dropped, so lines
/// and columns count from the first character); `None` for anything else. Unpaired
/// surrogates and a trailing odd byte become U+FFFD.
pub fn decode_with_bom(bytes: &[u8]) -> Option<String> {
    let big = match bytes {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => return None,
    };
    let body = &bytes[2..];
    let units = body.chunks_exact(2).map(|c| {
        let pair = [c[0], c[1]];
        if big {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut out = String::with_capacity(body.len() / 2 + 4);
    out.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
    if body.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str, big: bool) -> Vec<u8> {
        let mut out = if big {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend(if big {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn both_byte_orders_decode() {
        let text = "key = \"😀 value\"\nnext";
        assert_eq!(decode_with_bom(&encode(text, false)).as_deref(), Some(text));
        assert_eq!(decode_with_bom(&encode(text, true)).as_deref(), Some(text));
        assert!(has_bom(&encode(text, true)));
    }

    #[test]
    fn other_bytes_are_left_alone() {
        assert_eq!(decode_with_bom(b"plain"), None);
        assert_eq!(decode_with_bom(&[0xFF]), None);
        assert_eq!(
            decode_with_bom(&[0xFF, 0xFE, 0x41]).as_deref(),
            Some("\u{fffd}")
        );
        assert_eq!(
            decode_with_bom(&[0xFF, 0xFE, 0x00, 0xD8]).as_deref(),
            Some("\u{fffd}")
        );
    }
}
