//! The binary's global allocator: mimalloc, asked the way it is fastest.
//!
//! The `mimalloc` crate's `GlobalAlloc` passes every request to `mi_malloc_aligned`, even
//! those that need no more alignment than any block has. mimalloc serves those from its
//! fast path only while the current page of the size class has a free block *at hand*; when
//! it has none (the blocks freed since sit on a list that only the unaligned path gathers
//! back) it falls to the over-allocating path: a block of the next size class, an interior
//! pointer, and a slower `free`. Under callgrind, `rama serve forward` took that path for 8 of
//! its 14 allocations per connection (150–220 instructions each, against some 40).
//!
//! So this allocator does what Rust's `System` allocator does with `malloc`: a request
//! whose alignment every mimalloc block of that size already has goes to `mi_malloc`,
//! `mi_zalloc` or `mi_realloc`; only larger alignments (tokio's task cells ask for 128)
//! go to the aligned functions. mimalloc blocks of 16 bytes and more are 16-byte aligned
//! and smaller ones 8-byte aligned (`MI_MAX_ALIGN_SIZE`), so "alignment at most 16 and at
//! most the size" is the rule, the same as glibc's `MIN_ALIGN` rule in `std`.

use libmimalloc_sys as ffi;
use std::{
    alloc::{GlobalAlloc, Layout},
    ffi::c_void,
};

/// The alignment every mimalloc block of at least this many bytes has.
const MIN_ALIGN: usize = 16;

/// mimalloc as the global allocator; see the [module docs](self).
pub(crate) struct MiMalloc;

/// Whether a plain (unaligned) mimalloc call gives `layout` the alignment it needs.
const fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

// SAFETY: every function returns either null or a block from mimalloc that has `layout`'s
// size and alignment (see `plain`), and `dealloc` and `realloc` only take such blocks.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions accept any size and power-of-two alignment.
        unsafe {
            if plain(layout.align(), layout.size()) {
                ffi::mi_malloc(layout.size()).cast()
            } else {
                ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if plain(layout.align(), layout.size()) {
                ffi::mi_zalloc(layout.size()).cast()
            } else {
                ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { ffi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`; the new block keeps the
        // alignment: `mi_realloc` when a plain block of `new_size` has it.
        unsafe {
            if plain(layout.align(), new_size) {
                ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every size up to 4 KiB and every alignment up to 256 have the alignment
    /// asked for, keep it through `realloc`, and hold their bytes.
    #[test]
    fn blocks_have_the_alignment_asked_for() {
        let alloc = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 256] {
            for size in (1..=4096).step_by(7) {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: the layout has a non-zero size; each block is freed once.
                unsafe {
                    let p = alloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xa5, size);
                    let grown = alloc.realloc(p, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "realloc {size} align {align}");
                    assert_eq!(*grown.add(size - 1), 0xa5);
                    alloc.dealloc(grown, Layout::from_size_align(size * 3, align).unwrap());
                    let z = alloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    alloc.dealloc(z, layout);
                }
            }
        }
    }
}
