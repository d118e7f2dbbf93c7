//! [`Extensions`]: the typed map that travels with every input.
//!
//! What a lower layer learns about a connection or request (the peer address, later the TLS
//! parameters, the captured ClientHello, proxy credentials, fingerprints) is inserted here and
//! read by the layers above it. Values are keyed by their type, so give each fact its own
//! type (a newtype when needed) rather than storing bare strings.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    fmt,
    hash::{BuildHasherDefault, Hasher},
    sync::Arc,
};

/// A value that can live in [`Extensions`]: cloneable so that extensions can be copied from a
/// connection onto each request it carries.
trait AnyClone: Any + Send + Sync {
    fn clone_box(&self) -> Box<dyn AnyClone>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Clone + Send + Sync + 'static> AnyClone for T {
    fn clone_box(&self) -> Box<dyn AnyClone> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl Clone for Box<dyn AnyClone> {
    fn clone(&self) -> Self {
        (**self).clone_box()
    }
}

/// `TypeId` is already a hash; re-hashing it with SipHash is wasted work.
#[derive(Default)]
struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // TypeId hashes itself through `write_u64` (or `write_u128` split in two); fold any
        // other input so the hasher stays correct if that ever changes.
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_ne_bytes(buf);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type AnyMap = HashMap<TypeId, Box<dyn AnyClone>, BuildHasherDefault<TypeIdHasher>>;

/// A typed map: at most one value per type.
///
/// Empty extensions do not allocate. Cloning is O(1): the map is shared behind an [`Arc`]
/// and copied on the first write to a shared clone (copy-on-write), because servers clone a
/// connection's extensions onto every request it carries and most requests only read them.
///
/// ```
/// use rama_core::extensions::Extensions;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct PeerName(String);
///
/// let mut ext = Extensions::new();
/// assert!(ext.insert(PeerName("alice".into())).is_none());
/// assert_eq!(ext.get::<PeerName>(), Some(&PeerName("alice".into())));
/// assert_eq!(ext.remove::<PeerName>(), Some(PeerName("alice".into())));
/// assert!(ext.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Extensions {
    map: Option<Arc<AnyMap>>,
}

impl Extensions {
    /// Empty extensions.
    #[must_use]
    pub const fn new() -> Self {
        Self { map: None }
    }

    /// Insert `value`, returning the previous value of the same type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.map_mut()
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.into_any().downcast().ok().map(|boxed| *boxed))
    }

    /// The value of type `T`, if any.
    #[must_use]
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map
            .as_ref()?
            .get(&TypeId::of::<T>())
            .and_then(|v| (**v).as_any().downcast_ref())
    }

    /// The value of type `T`, mutably, if any.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        // only copy a shared map when it holds the value about to be handed out mutably
        if !self.contains::<T>() {
            return None;
        }
        self.map_mut()
            .get_mut(&TypeId::of::<T>())
            .and_then(|v| (**v).as_any_mut().downcast_mut())
    }

    /// The value of type `T`, inserting the one made by `f` when absent.
    pub fn get_or_insert_with<T: Clone + Send + Sync + 'static>(
        &mut self,
        f: impl FnOnce() -> T,
    ) -> &mut T {
        let slot = self
            .map_mut()
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(f()));
        match (**slot).as_any_mut().downcast_mut() {
            Some(value) => value,
            // The entry is keyed by `TypeId::of::<T>()`, so it always holds a `T`.
            None => unreachable_by_construction(),
        }
    }

    /// Whether a value of type `T` is present.
    #[must_use]
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.map
            .as_ref()
            .is_some_and(|m| m.contains_key(&TypeId::of::<T>()))
    }

    /// Remove and return the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        if !self.contains::<T>() {
            return None;
        }
        self.map_mut()
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.into_any().downcast().ok().map(|boxed| *boxed))
    }

    /// Move every value of `other` into `self`, overwriting values of the same type.
    pub fn extend(&mut self, other: Self) {
        let Some(other) = other.map else { return };
        if self.is_empty() {
            self.map = Some(other);
            return;
        }
        let other = Arc::unwrap_or_clone(other);
        self.map_mut().extend(other);
    }

    /// Remove every value.
    pub fn clear(&mut self) {
        self.map = None;
    }

    /// The map, unshared: allocated when absent, copied when another clone shares it.
    fn map_mut(&mut self) -> &mut AnyMap {
        Arc::make_mut(self.map.get_or_insert_with(Arc::default))
    }

    /// Whether no value is present.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.as_ref().is_none_or(|m| m.is_empty())
    }

    /// How many values are present.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |m| m.len())
    }
}

#[expect(
    clippy::panic,
    reason = "only reachable if a TypeId-keyed map held another type, which insert rules out"
)]
#[cold]
fn unreachable_by_construction() -> ! {
    panic!("Extensions entry does not hold the type of its key")
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.len())
            .finish()
    }
}

/// Read access to the [`Extensions`] an input carries.
pub trait ExtensionsRef {
    /// The extensions of this value.
    fn extensions(&self) -> &Extensions;
}

/// Write access to the [`Extensions`] an input carries.
pub trait ExtensionsMut: ExtensionsRef {
    /// The extensions of this value, mutably.
    fn extensions_mut(&mut self) -> &mut Extensions;
}

impl ExtensionsRef for Extensions {
    fn extensions(&self) -> &Extensions {
        self
    }
}

impl ExtensionsMut for Extensions {
    fn extensions_mut(&mut self) -> &mut Extensions {
        self
    }
}

impl<T: ExtensionsRef> ExtensionsRef for Box<T> {
    fn extensions(&self) -> &Extensions {
        (**self).extensions()
    }
}

impl<T: ExtensionsMut> ExtensionsMut for Box<T> {
    fn extensions_mut(&mut self) -> &mut Extensions {
        (**self).extensions_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct A(u8);
    #[derive(Clone, Debug, PartialEq)]
    struct B(&'static str);

    #[test]
    fn values_are_keyed_by_type() {
        let mut ext = Extensions::new();
        assert!(ext.is_empty());
        assert_eq!(ext.insert(A(1)), None);
        assert_eq!(ext.insert(B("b")), None);
        assert_eq!(ext.insert(A(2)), Some(A(1)));
        assert_eq!(ext.len(), 2);
        assert_eq!(ext.get::<A>(), Some(&A(2)));
        ext.get_mut::<A>().unwrap().0 = 3;
        assert_eq!(ext.get::<A>(), Some(&A(3)));
        assert!(ext.contains::<B>());
        assert_eq!(ext.remove::<B>(), Some(B("b")));
        assert!(!ext.contains::<B>());
        assert_eq!(ext.get::<u64>(), None);
    }

    #[test]
    fn clones_share_until_written() {
        let mut a = Extensions::new();
        a.insert(A(1));
        let b = a.clone();
        assert!(Arc::ptr_eq(
            a.map.as_ref().unwrap(),
            b.map.as_ref().unwrap()
        ));
        // reads and misses keep sharing
        assert_eq!(a.get_mut::<B>(), None);
        assert_eq!(a.remove::<B>(), None);
        assert!(Arc::ptr_eq(
            a.map.as_ref().unwrap(),
            b.map.as_ref().unwrap()
        ));
        // a write unshares, and the other clone keeps its value
        a.get_mut::<A>().unwrap().0 = 2;
        assert_eq!(a.get::<A>(), Some(&A(2)));
        assert_eq!(b.get::<A>(), Some(&A(1)));
    }

    #[test]
    fn clone_and_extend() {
        let mut a = Extensions::new();
        a.insert(A(1));
        let mut b = a.clone();
        b.insert(B("x"));
        b.insert(A(9));
        assert_eq!(a.get::<A>(), Some(&A(1)));
        a.extend(b);
        assert_eq!(a.get::<A>(), Some(&A(9)));
        assert_eq!(a.get::<B>(), Some(&B("x")));
        *a.get_or_insert_with(|| 5u32) += 1;
        assert_eq!(a.get::<u32>(), Some(&6));
        a.clear();
        assert!(a.is_empty());
    }
}
