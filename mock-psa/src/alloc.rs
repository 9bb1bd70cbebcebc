//! Memory settings for a program whose global allocator is mimalloc (the `mock-psa`, harness
//! and bench binaries; the libraries never set either).

/// Stops the kernel backing this process's memory with transparent huge pages, unless
/// `MIMALLOC_ALLOW_THP` in the environment leaves the choice to mimalloc.
///
/// mimalloc asks for huge pages on every region it maps (`madvise(MADV_HUGEPAGE)`), and the
/// kernel then zeroes 2 MiB at the first touch of each: a fifth to a third of seeding a tenant
/// went there on the 2-core machine, and seeding 100k records per kind took half as long
/// without (docs/decisions.md, "Global allocator"). Applies from the next page fault on, so
/// call it early in `main` (what was touched before keeps its pages).
///
/// ```
/// mock_psa::alloc::without_transparent_huge_pages();
/// ```
pub fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and reads or writes no memory of ours.
        // A kernel without it answers an error, and the process runs as before.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_is_left_without_transparent_huge_pages() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return;
        }
        super::without_transparent_huge_pages();
        // SAFETY: as above; PR_GET_THP_DISABLE answers the flag as its result, -1 where the
        // kernel (or a sandbox) does not offer it, which the function tolerates.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        if disabled != -1 {
            assert_eq!(disabled, 1);
        }
    }
}
