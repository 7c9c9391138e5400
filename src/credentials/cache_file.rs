//! The token cache files the AWS CLI shares with the SDKs (`~/.aws/sso/cache`,
//! `~/.aws/login/cache`): read with a size cap, written back atomically so a reader (the CLI,
//! another process of ours) sees the old file or the new one, never a partial one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Cache files hold a token, a refresh token, a client registration and a key: a few KiB.
pub(crate) const MAX_CACHE_FILE: u64 = 256 * 1024;

/// Reads a cache file, refusing one larger than [`MAX_CACHE_FILE`].
pub(crate) async fn read(path: &Path) -> io::Result<Vec<u8>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || read_blocking(&path))
        .await
        .map_err(io::Error::other)?
}

fn read_blocking(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_CACHE_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CACHE_FILE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_CACHE_FILE} bytes"),
        ));
    }
    Ok(bytes)
}

/// Replaces `path` with `contents`: written to a new file beside it (the existing file's
/// permissions, else owner read/write only), flushed to disk, then renamed over `path`.
pub(crate) async fn write_atomically(path: &Path, contents: Vec<u8>) -> io::Result<()> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || write_blocking(&path, &contents))
        .await
        .map_err(io::Error::other)?
}

fn write_blocking(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = temp_path(path);
    let result = write_new(&temp, contents, existing_permissions(path)).and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A name beside `path` no other writer uses (process id and a counter).
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(unix)]
fn existing_permissions(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn existing_permissions(_path: &Path) -> u32 {
    0
}

fn write_new(temp: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(temp)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn write_back_keeps_the_files_permissions_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("sigv4-cache-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token.json");
        std::fs::write(&path, b"{\"old\":1}").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomically(&path, b"{\"new\":2}".to_vec()).await.unwrap();
        assert_eq!(read(&path).await.unwrap(), b"{\"new\":2}");
        #[cfg(unix)]
        assert_eq!(existing_permissions(&path), 0o640);
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("token.json")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_cache_file_over_the_cap_is_refused() {
        let dir = std::env::temp_dir().join(format!("sigv4-cache-cap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.json");
        std::fs::write(&path, vec![b' '; MAX_CACHE_FILE as usize + 1]).unwrap();
        let e = read(&path).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
