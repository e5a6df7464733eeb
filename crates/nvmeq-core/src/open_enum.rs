//! `open_enum!`: the one way this crate spells an open enum.

/// An open enum: a newtype over an integer (`u8` unless a repr follows the
/// name, as in `LogId: u8` or `Cns: u8`) with named constants, so values the
/// specification adds later are still representable.
///
/// The constants and their names come from one list, so `name()`, `Debug` and
/// `Display` cannot drift from the constants. `Debug` (and `Display`) print
/// `Name(0x..)` for a known value and `Type(0x..)` otherwise. `from_bits` and
/// `into_bits` let the type be a `bitfield-struct` field.
macro_rules! open_enum {
    (
        $(#[$m:meta])* $name:ident $(: $repr:ty)? {
            $($(#[$cm:meta])* $c:ident = $v:expr => $s:literal,)*
        }
    ) => {
        open_enum!(@impl [$(#[$m])*] $name [$($repr)?] { $($(#[$cm])* $c = $v => $s,)* });
    };
    (@impl [$($m:tt)*] $name:ident [] { $($body:tt)* }) => {
        open_enum!(@impl [$($m)*] $name [u8] { $($body)* });
    };
    (
        @impl [$($m:tt)*] $name:ident [$repr:ty] {
            $($(#[$cm:meta])* $c:ident = $v:expr => $s:literal,)*
        }
    ) => {
        $($m)*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub $repr);
        impl $name {
            $($(#[$cm])* pub const $c: $name = $name($v);)*
            /// The specification's name, if the value is known.
            #[inline]
            #[allow(unreachable_patterns)]
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$c => Some($s),)*
                    _ => None,
                }
            }
            /// The value from its raw bits (for `bitfield-struct` fields).
            #[inline]
            pub const fn from_bits(v: $repr) -> Self {
                $name(v)
            }
            /// The raw value (for `bitfield-struct` fields).
            #[inline]
            pub const fn into_bits(self) -> $repr {
                self.0
            }
        }
        impl From<$repr> for $name {
            #[inline]
            fn from(v: $repr) -> Self {
                $name(v)
            }
        }
        impl From<$name> for $repr {
            #[inline]
            fn from(v: $name) -> Self {
                v.0
            }
        }
        impl core::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                // `0x` plus two hex digits per byte, e.g. 0x06 or 0x0000_0001's 0x00000001.
                const W: usize = 2 + 2 * core::mem::size_of::<$repr>();
                match self.name() {
                    Some(n) => write!(f, "{}({:#0w$x})", n, self.0, w = W),
                    None => write!(f, "{}({:#0w$x})", stringify!($name), self.0, w = W),
                }
            }
        }
        impl core::fmt::Display for $name {
            #[inline]
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self, f)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    open_enum! {
        /// A 16-bit open enum.
        Wide: u16 {
            /// One.
            ONE = 0x0001 => "One",
        }
    }

    open_enum! {
        /// A 32-bit open enum.
        Wider: u32 {
            /// Big.
            BIG = 0x8000_0000 => "Big",
        }
    }

    #[test]
    fn any_repr_prints_its_full_width() {
        assert_eq!(format!("{:?}", Wide::ONE), "One(0x0001)");
        assert_eq!(format!("{:?}", Wide(0x1234)), "Wide(0x1234)");
        assert_eq!(format!("{}", Wider::BIG), "Big(0x80000000)");
        assert_eq!(format!("{:?}", Wider(7)), "Wider(0x00000007)");
        assert_eq!(Wider::BIG.name(), Some("Big"));
        assert_eq!(Wide(2).name(), None);
        assert_eq!(u32::from(Wider::BIG), 0x8000_0000);
        assert_eq!(Wide::from_bits(1), Wide::ONE);
    }
}
