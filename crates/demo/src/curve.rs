//! The arrival curve: how many people come on each of the five days.

/// Arrivals per day at scale 1, 16–20 January 2026 at the embassy in Phnom Penh.
///
/// Documented: 1,440 in five days and the peak of 520 on 19 January, the fourth day
/// (`../shared/reference/domain-data.md` §3.1, graded verified). The other four days are a
/// project assumption: a ramp as word spread after the crackdown, and a tail once the hand-overs
/// slowed. The first two days (310) agree with the 308 walk-ins reported for 16–18 January
/// (graded secondary).
pub const BASE_CURVE: [u32; 5] = [120, 190, 330, 520, 280];

/// People at scale 1: the sum of [`BASE_CURVE`].
pub const BASE_TOTAL: u32 = 1_440;

/// Splits `round(1440 × scale)` over the days in the curve's proportions, by largest remainder,
/// so that the days always add up to the total and scale 1 gives the curve exactly.
pub(crate) fn day_counts(scale: f64) -> Vec<usize> {
    let total = (f64::from(BASE_TOTAL) * scale).round() as u64;
    let base = u64::from(BASE_TOTAL);
    let mut counts: Vec<u64> = BASE_CURVE
        .iter()
        .map(|w| total * u64::from(*w) / base)
        .collect();
    let mut left = total - counts.iter().sum::<u64>();
    // Integer remainders: exact, so the result does not depend on floating-point rounding.
    let mut order: Vec<usize> = (0..BASE_CURVE.len()).collect();
    order.sort_by_key(|&d| std::cmp::Reverse(total * u64::from(BASE_CURVE[d]) % base));
    for d in order {
        if left == 0 {
            break;
        }
        counts[d] += 1;
        left -= 1;
    }
    counts.into_iter().map(|c| c as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_curve_adds_up() {
        assert_eq!(BASE_CURVE.iter().sum::<u32>(), BASE_TOTAL);
        assert_eq!(BASE_CURVE.iter().max(), Some(&520));
    }

    #[test]
    fn scale_one_is_the_curve_and_totals_are_exact() {
        assert_eq!(day_counts(1.0), vec![120, 190, 330, 520, 280]);
        assert_eq!(day_counts(0.1), vec![12, 19, 33, 52, 28]);
        assert_eq!(day_counts(0.0), vec![0; 5]);
        for scale in [0.001, 0.01, 0.0333, 0.37, 1.5, 2.7, 13.0, 700.0, 701.3] {
            let counts = day_counts(scale);
            let want = (1440.0 * scale).round() as usize;
            assert_eq!(counts.iter().sum::<usize>(), want, "{scale}");
            // The shape holds: the fourth day is the peak once there are people enough.
            if want >= 100 {
                assert_eq!(counts.iter().max(), Some(&counts[3]), "{scale}");
            }
        }
    }
}
