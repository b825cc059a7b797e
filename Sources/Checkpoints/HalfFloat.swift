// IEEE binary16 and bfloat16 <-> Float32 conversions, bit-exact, written out so they do not
// depend on the platform's Float16 support (unavailable on macOS x86_64).

/// Bit-level conversions between Float and the 16-bit float formats checkpoints store.
public enum HalfFloat {
    /// binary16 bits -> Float. Exact for every input: normals, subnormals (mant * 2^-24),
    /// signed zeros, infinities; NaNs stay NaN with their payload shifted into place.
    @inline(__always)
    public static func float(fromFloat16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 bits -> Float: the high half of the Float32 bit pattern (exact, incl. NaN/inf).
    @inline(__always)
    public static func float(fromBFloat16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// Float -> binary16 bits, rounding to nearest, ties to even (as numpy `astype(float16)`);
    /// overflow gives infinity, underflow gives subnormals or signed zero, NaN stays quiet NaN.
    public static func float16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }                       // below half the smallest subnormal
            mantissa |= 0x80_0000                            // implicit leading bit
            let shift = UInt32(14 - e)                       // 14...24
            let kept = mantissa >> shift
            let rest = mantissa & ((1 << shift) - 1)
            let half = UInt32(1) << (shift - 1)
            let rounded = kept + ((rest > half || (rest == half && kept & 1 == 1)) ? 1 : 0)
            return sign | UInt16(rounded)                    // may carry into the smallest normal
        }
        var h = (UInt32(e) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h += 1 }  // carry may give infinity
        return sign | UInt16(h)
    }

    /// Float -> bfloat16 bits, rounding to nearest, ties to even; NaN stays quiet NaN.
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
