//! When a fetch may skip reading every folder (`sound`), and when it must not.

use super::*;

fn open(root: &Path) -> Store {
    Store::open(root, "k", DecodeOptions::default()).unwrap()
}

fn deliver(s: &mut Store, id: &str) {
    s.deliver(
        &Uidl::from(id),
        b"Subject: x\r\n\r\nb\r\n",
        Flags::default(),
        None,
    )
    .unwrap();
}

#[test]
fn after_a_clean_close_with_nothing_changed_the_folders_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    deliver(&mut s, "uid-1");
    drop(s);
    let mut s = open(dir.path());
    assert!(!s.reconcile_unless_sound().unwrap(), "read the folders");
    assert!(s.index().file("uid-1").unwrap().is_some());
}

#[test]
fn a_session_killed_between_rename_and_index_is_taken_up_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    deliver(&mut s, "uid-1");
    drop(s);
    // A session that renames a file into new/ and dies before the index
    // records it (never closed: its count stays).
    let killed = open(dir.path());
    let inbox = killed.folder_dir(&Folder::Inbox);
    maildir::deliver(
        &inbox,
        Some("uid-2"),
        b"Subject: y\r\n\r\nb\r\n",
        Flags::default(),
    )
    .unwrap();
    std::mem::forget(killed);
    let mut s = open(dir.path());
    assert!(
        s.reconcile_unless_sound().unwrap(),
        "trusted a killed session"
    );
    assert!(s.index().file("uid-2").unwrap().is_some(), "uid-2 adopted");
}

#[test]
fn after_a_killed_session_the_last_to_close_reads_the_folders_and_records_again() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let killed = open(dir.path());
    let inbox = killed.folder_dir(&Folder::Inbox);
    maildir::deliver(
        &inbox,
        Some("uid-3"),
        b"Subject: z\r\n\r\nb\r\n",
        Flags::default(),
    )
    .unwrap();
    // Its lock dies with it (a killed process's locks are released).
    let Store { session, .. } = &mut *Box::new(killed);
    drop(std::mem::take(session));
    // This one looks before (it must), and its close takes up anything a
    // killed session left, then records: the next one may skip.
    let mut s = open(dir.path());
    assert!(s.reconcile_unless_sound().unwrap());
    drop(s);
    let mut s = open(dir.path());
    assert!(!s.reconcile_unless_sound().unwrap(), "not recorded again");
    assert!(s.index().file("uid-3").unwrap().is_some());
}

#[test]
fn a_file_another_program_adds_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    deliver(&mut s, "uid-1");
    drop(s);
    // Later than the close by more than a clock tick of the file system.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let cur = dir.path().join("INBOX/cur");
    fs::write(
        cur.join("1700000000.M1P2Q3.host:2,S"),
        b"Subject: w\r\n\r\nb\r\n",
    )
    .unwrap();
    let mut s = open(dir.path());
    assert!(s.reconcile_unless_sound().unwrap(), "missed a new file");
}

#[test]
fn while_another_session_is_open_the_folders_are_read() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let other = open(dir.path());
    let mut s = open(dir.path());
    assert!(s.reconcile_unless_sound().unwrap());
    drop(other);
}
