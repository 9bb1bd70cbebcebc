//! Contacts: the rules particular to them.

use super::values::*;
use crate::store::Record;

/// Contact `isActive` is an integer flag: only 0 and 1 are accepted.
pub(super) fn check_contact(rec: &Record) -> Result<(), String> {
    if !matches!(int(rec, "isActive"), Some(0 | 1)) {
        return Err("isActive must be 0 or 1.".into());
    }
    Ok(())
}
