//! [`KeyTable`]: values by [`PoolKey`], looked up with a hash the caller computed.
//!
//! A pooled HTTP/1 request looks its key up twice, to check a handle out and to check it
//! back in. With `std`'s `HashMap` each lookup hashes the key again (about 165
//! instructions for a `host:port` key, a sixth of the pool's cost per request); `hashbrown`'s
//! `HashTable` takes the hash from the caller, so [`Pool`](super::Pool) hashes once per
//! request ([`HashedKey`]) and hands the hash to both lookups. `hashbrown` is what `std`'s
//! map is built on, and already in the tree through `h2`'s `indexmap`.

use super::{KeyHashing, PoolKey};
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A key with its hash under one [`KeyHashing`] (one pool's).
#[derive(Clone, Copy)]
pub(super) struct HashedKey<'k> {
    pub(super) key: &'k PoolKey,
    pub(super) hash: u64,
}

impl<'k> HashedKey<'k> {
    /// `key` hashed by `hashing`.
    pub(super) fn new(hashing: &KeyHashing, key: &'k PoolKey) -> Self {
        Self {
            key,
            hash: hashing.hash_one(key),
        }
    }
}

/// Values by key; every lookup comes with the key's hash ([`HashedKey`]). All hashes
/// handed to one table must come from the same [`KeyHashing`] (the pool's: a request's key
/// is hashed once, then looked up in whichever shard's table).
pub(super) struct KeyTable<V> {
    table: HashTable<(PoolKey, V)>,
}

impl<V> Default for KeyTable<V> {
    fn default() -> Self {
        Self {
            table: HashTable::new(),
        }
    }
}

impl<V> KeyTable<V> {
    /// The value of `key`, if any.
    pub(super) fn get_mut(&mut self, key: HashedKey<'_>) -> Option<&mut V> {
        self.table
            .find_mut(key.hash, |(k, _)| k == key.key)
            .map(|(_, v)| v)
    }

    /// The value of `key`, made by `make` (with a clone of the key) when there is none;
    /// `hashing` (the one `key` was hashed with) rehashes the stored keys if the table grows.
    pub(super) fn get_or_insert_with(
        &mut self,
        key: HashedKey<'_>,
        hashing: &KeyHashing,
        make: impl FnOnce() -> V,
    ) -> &mut V {
        let entry = self.table.entry(
            key.hash,
            |(k, _)| k == key.key,
            |(k, _)| hashing.hash_one(k),
        );
        &mut entry
            .or_insert_with(|| (key.key.clone(), make()))
            .into_mut()
            .1
    }

    /// Removes `key` and its value.
    pub(super) fn remove(&mut self, key: HashedKey<'_>) {
        if let Ok(entry) = self.table.find_entry(key.hash, |(k, _)| k == key.key) {
            entry.remove();
        }
    }

    /// Every value.
    pub(super) fn values(&self) -> impl Iterator<Item = &V> {
        self.table.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::pool::tests::direct_key as key;

    #[test]
    fn finds_inserts_and_removes_by_the_handed_hash() {
        let hashing = KeyHashing::default();
        let mut table = KeyTable::default();
        // enough keys to make the table grow (and rehash its keys) several times
        let keys: Vec<PoolKey> = (0..200).map(|i| key(&format!("h{i}.test:80"))).collect();
        for (i, k) in keys.iter().enumerate() {
            let hashed = HashedKey::new(&hashing, k);
            assert!(table.get_mut(hashed).is_none());
            *table.get_or_insert_with(hashed, &hashing, || 0) += i;
        }
        for (i, k) in keys.iter().enumerate() {
            let hashed = HashedKey::new(&hashing, k);
            // a second insert finds the first value; ASCII case aside, the key is the same
            assert_eq!(
                *table.get_or_insert_with(hashed, &hashing, || usize::MAX),
                i
            );
            let upper = key(&k.authority.as_str().to_ascii_uppercase());
            assert_eq!(
                table.get_mut(HashedKey::new(&hashing, &upper)),
                Some(&mut { i })
            );
        }
        assert_eq!(table.values().count(), 200);
        for k in &keys[..100] {
            table.remove(HashedKey::new(&hashing, k));
        }
        assert_eq!(table.values().count(), 100);
        assert!(table.get_mut(HashedKey::new(&hashing, &keys[0])).is_none());
        assert_eq!(
            table.get_mut(HashedKey::new(&hashing, &keys[150])),
            Some(&mut 150)
        );
    }
}
