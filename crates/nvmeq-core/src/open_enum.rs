//! `open_enum!`: the one way this crate spells an open enum.

/// An open enum over `u8`: a newtype with named constants, so values the
/// specification adds later are still representable.
macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$cm:meta])* $c:ident = $v:expr => $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u8);
        impl $name {
            $($(#[$cm])* pub const $c: $name = $name($v);)*
            /// The specification's name, if the value is known.
            #[inline]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 { $($v => Some($s),)* _ => None }
            }
        }
        impl core::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({:#04x})", n, self.0),
                    None => write!(f, "{}({:#04x})", stringify!($name), self.0),
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
