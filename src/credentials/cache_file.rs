//! The token cache files the AWS CLI shares with the SDKs (`~/.aws/sso/cache`,
//! `~/.aws/login/cache`): read with a size cap, written back atomically so a reader (the CLI,
//! another process of ours) sees the old file or the new one, never a partial one.

use std::io::{self, Write};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

/// Cache files hold a token, a refresh token, a client registration and a key: a few KiB.
pub(crate) const MAX_CACHE_FILE: u64 = 256 * 1024;

/// Reads a cache file, refusing one larger than [`MAX_CACHE_FILE`]. The bytes hold secrets:
/// they are wiped when dropped.
pub(crate) async fn read(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || read_blocking(&path))
        .await
        .map_err(io::Error::other)?
}

fn read_blocking(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_CACHE_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CACHE_FILE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_CACHE_FILE} bytes"),
        ));
    }
    Ok(bytes)
}

/// A cache file's JSON document, kept whole for the write-back: its string values (tokens,
/// keys, secrets) are wiped when it is dropped.
#[derive(Default)]
pub(crate) struct SecretJson(pub(crate) Map<String, Value>);

impl Deref for SecretJson {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for SecretJson {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for SecretJson {
    fn drop(&mut self) {
        self.0.values_mut().for_each(wipe);
    }
}

fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(members) => members.values_mut().for_each(wipe),
        _ => {}
    }
}

/// Replaces the file at `path` with `contents`: written to a new file beside it (with the
/// existing file's permissions, else owner read/write only), flushed to disk, then renamed over
/// it. A symbolic link is followed: the file it points to is replaced, the link kept.
pub(crate) async fn write_atomically(path: &Path, contents: Zeroizing<Vec<u8>>) -> io::Result<()> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || write_blocking(&path, &contents))
        .await
        .map_err(io::Error::other)?
}

fn write_blocking(path: &Path, contents: &[u8]) -> io::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mode = existing_permissions(&target);
    let temp = create_beside(&target, contents, mode)?;
    std::fs::rename(&temp, &target).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Writes `contents` to a new file beside `target`, under a name no other writer uses (a
/// random suffix: a file a killed process left behind is never in the way).
fn create_beside(target: &Path, contents: &[u8], mode: u32) -> io::Result<PathBuf> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(io::Error::other)?;
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", hex::encode(suffix)));
    let temp = target.with_file_name(name);
    write_new(&temp, contents, mode).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    Ok(temp)
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
        // Owner-only while it is written; the exact mode is set after (the umask narrows this).
        options.mode(0o600);
    }
    let mut file = options.open(temp)?;
    file.write_all(contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<std::ffi::OsString> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn write_back_keeps_the_files_permissions_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        std::fs::write(&path, b"{\"old\":1}").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomically(&path, Zeroizing::new(b"{\"new\":2}".to_vec()))
            .await
            .unwrap();
        assert_eq!(&read(&path).await.unwrap()[..], b"{\"new\":2}");
        #[cfg(unix)]
        assert_eq!(existing_permissions(&path), 0o640);
        assert_eq!(names(dir.path()), vec![std::ffi::OsString::from("token.json")]);
    }

    #[tokio::test]
    async fn a_temporary_file_left_by_a_killed_writer_is_not_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        std::fs::write(&path, b"old").unwrap();
        // What the first naming scheme (process id and counter) left after a crash.
        std::fs::write(
            dir.path().join(format!("token.json.tmp-{}-0", std::process::id())),
            b"x",
        )
        .unwrap();
        write_atomically(&path, Zeroizing::new(b"new".to_vec())).await.unwrap();
        write_atomically(&path, Zeroizing::new(b"newer".to_vec()))
            .await
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"newer");
        assert_eq!(names(dir.path()).len(), 2, "only the cache file and the old leftover");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn write_back_through_a_symlink_replaces_the_target_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("token.json");
        std::fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, Zeroizing::new(b"new".to_vec())).await.unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.json");
        write_atomically(&path, Zeroizing::new(b"{}".to_vec())).await.unwrap();
        assert_eq!(existing_permissions(&path), 0o600);
    }

    #[tokio::test]
    async fn a_cache_file_over_the_cap_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        std::fs::write(&path, vec![b' '; MAX_CACHE_FILE as usize + 1]).unwrap();
        let e = read(&path).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
