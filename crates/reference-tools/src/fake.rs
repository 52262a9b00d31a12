//! Deterministic fake data: numbers and picks derived from a hash of the
//! input, so the same input always gets the same output.

/// A stable 64-bit hash (FNV-1a) of `parts`, case-insensitive.
///
/// Not `std`'s hasher: its output may change between Rust releases.
pub(crate) fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part
            .trim()
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .chain([0xff])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A value in `lo..=hi` picked by `h`, mixed with `salt` so that several
/// values from one hash differ.
pub(crate) fn int(h: u64, salt: u64, lo: i64, hi: i64) -> i64 {
    let mixed = (h ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let span = (hi - lo + 1).max(1) as u64;
    lo + ((mixed >> 17) % span) as i64
}

/// One of `items`, picked by `h` and `salt`.
pub(crate) fn pick<'a>(h: u64, salt: u64, items: &[&'a str]) -> &'a str {
    let last = items.len().saturating_sub(1) as i64;
    items
        .get(int(h, salt, 0, last) as usize)
        .copied()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_case_insensitive() {
        assert_eq!(hash(&["Paris"]), hash(&[" paris "]));
        assert_ne!(hash(&["a", "b"]), hash(&["ab"]));
        // The value itself is part of the contract: outputs must not drift.
        assert_eq!(hash(&[""]), 0xaf64_724c_8602_eb6e);
    }

    #[test]
    fn ints_stay_in_range() {
        for salt in 0..1000 {
            let v = int(hash(&["x"]), salt, -5, 35);
            assert!((-5..=35).contains(&v));
        }
        assert_eq!(pick(1, 2, &[]), "");
    }
}
