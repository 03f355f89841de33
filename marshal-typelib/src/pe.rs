//! Finds a `TYPELIB` resource in a PE image (.dll, .exe, .ocx, and Wine's .tlb files, which are PE images too).
//!
//! The walk is fixed-depth (type → name → language) and every RVA is mapped through the section table and checked
//! against the image, so a hostile image gives a [`TypeLibError::BadPe`] and nothing else.

use crate::bytes::Bytes;
use crate::error::{Result, TypeLibError};

/// Whether `data` starts like a PE image (`MZ`).
pub fn is_pe(data: &[u8]) -> bool {
    data.len() >= 2 && &data[..2] == b"MZ"
}

struct Section {
    rva: u32,
    size: u32,
    file_offset: u32,
    file_size: u32,
}

/// The bytes of resource `TYPELIB` number `index` (the first language found) of a PE image.
pub fn typelib_resource(data: &[u8], index: u32) -> Result<&[u8]> {
    let b = Bytes::new(data);
    let bad = TypeLibError::BadPe;
    if !is_pe(data) {
        return Err(bad("no MZ signature"));
    }
    let pe = b.u32(0x3C, "DOS header").map_err(|_| bad("truncated DOS header"))? as usize;
    if b.slice(pe, 4, "PE signature").map_err(|_| bad("e_lfanew out of bounds"))? != b"PE\0\0" {
        return Err(bad("no PE signature"));
    }
    let coff = pe + 4;
    let sections = b.u16(coff + 2, "COFF header").map_err(|_| bad("truncated COFF header"))? as usize;
    let opt_size = b.u16(coff + 16, "COFF header").map_err(|_| bad("truncated COFF header"))? as usize;
    let opt = coff + 20;
    let magic = b.u16(opt, "optional header").map_err(|_| bad("truncated optional header"))?;
    let (count_at, dirs_at) = match magic {
        0x10B => (92, 96),
        0x20B => (108, 112),
        _ => return Err(bad("unknown optional header magic")),
    };
    let dir_count = b.u32(opt + count_at, "optional header").map_err(|_| bad("truncated optional header"))?;
    if dir_count < 3 || dirs_at + 3 * 8 > opt_size {
        return Err(TypeLibError::NoTypeLibResource { index });
    }
    let rsrc_rva = b.u32(opt + dirs_at + 16, "resource directory").map_err(|_| bad("truncated data directory"))?;
    let rsrc_size = b.u32(opt + dirs_at + 20, "resource directory").map_err(|_| bad("truncated data directory"))?;
    if rsrc_rva == 0 || rsrc_size == 0 {
        return Err(TypeLibError::NoTypeLibResource { index });
    }
    let table = opt + opt_size;
    let mut secs = Vec::new();
    for i in 0..sections.min(96) {
        let s = b.sub(table + i * 40, 40, "section header").map_err(|_| bad("truncated section table"))?;
        let r = |o| s.u32(o, "section header").map_err(|_| bad("section header"));
        secs.push(Section { size: r(8)?, rva: r(12)?, file_size: r(16)?, file_offset: r(20)? });
    }
    // An RVA range → the file bytes holding it.
    let map = |rva: u32, len: u32| -> Result<&[u8]> {
        for s in &secs {
            let span = s.size.max(s.file_size);
            if rva >= s.rva && (rva - s.rva) < span {
                let delta = rva - s.rva;
                if delta as u64 + len as u64 > s.file_size as u64 {
                    return Err(bad("resource data beyond its section's file bytes"));
                }
                let start = s.file_offset as usize + delta as usize;
                return b.slice(start, len as usize, "resource data").map_err(|_| bad("section beyond end of file"));
            }
        }
        Err(bad("RVA outside every section"))
    };
    let rsrc = Bytes::new(map(rsrc_rva, rsrc_size)?);
    let entries = |dir: usize| -> Result<Vec<(u32, u32)>> {
        let named = rsrc.u16(dir + 12, "resource directory").map_err(|_| bad("resource directory"))? as usize;
        let ids = rsrc.u16(dir + 14, "resource directory").map_err(|_| bad("resource directory"))? as usize;
        let all = rsrc.slice(dir + 16, (named + ids) * 8, "resource entries").map_err(|_| bad("resource entries"))?;
        Ok(all
            .chunks_exact(8)
            .map(|e| (u32::from_le_bytes([e[0], e[1], e[2], e[3]]), u32::from_le_bytes([e[4], e[5], e[6], e[7]])))
            .collect())
    };
    let name_is = |name: u32, want: &str| -> bool {
        if name & 0x8000_0000 == 0 {
            return false;
        }
        let at = (name & 0x7FFF_FFFF) as usize;
        let Ok(len) = rsrc.u16(at, "resource name") else { return false };
        let Ok(units) = rsrc.slice(at + 2, len as usize * 2, "resource name") else { return false };
        let text: Vec<u16> = units.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&text).eq_ignore_ascii_case(want)
    };
    let subdir = |target: u32| -> Result<usize> {
        if target & 0x8000_0000 == 0 {
            return Err(bad("resource entry is a leaf where a directory is expected"));
        }
        Ok((target & 0x7FFF_FFFF) as usize)
    };
    let not_found = TypeLibError::NoTypeLibResource { index };
    let types = entries(0)?;
    let Some(&(_, typelib_dir)) = types.iter().find(|(name, _)| name_is(*name, "TYPELIB")) else {
        return Err(not_found);
    };
    let names = entries(subdir(typelib_dir)?)?;
    let Some(&(_, lang_dir)) = names.iter().find(|(name, _)| *name == index) else {
        return Err(not_found);
    };
    let langs = entries(subdir(lang_dir)?)?;
    let Some(&(_, leaf)) = langs.first() else { return Err(not_found) };
    if leaf & 0x8000_0000 != 0 {
        return Err(bad("resource language entry is a directory"));
    }
    let data_rva = rsrc.u32(leaf as usize, "resource data entry").map_err(|_| bad("resource data entry"))?;
    let data_size = rsrc.u32(leaf as usize + 4, "resource data entry").map_err(|_| bad("resource data entry"))?;
    map(data_rva, data_size)
}
