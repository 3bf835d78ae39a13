//! The user's folders: names, layout on disk, moving, copying, renaming and
//! deleting, and what a kill between a rename and the index leaves.

use super::*;

fn own(name: &str) -> Folder {
    Folder::own(name).unwrap()
}

/// A store with three messages in INBOX: uid-1 (seen), uid-2, uid-3.
fn three(dir: &Path) -> Store {
    let mut s = Store::open(dir, "k", DecodeOptions::default()).unwrap();
    let new: Vec<(Uidl, u64)> = ["uid-1", "uid-2", "uid-3"]
        .iter()
        .map(|u| (Uidl::from(*u), 20))
        .collect();
    s.apply_server_index(&new, &[]).unwrap();
    for (k, (u, _)) in new.iter().enumerate() {
        let flags = if k == 0 {
            Flags::SEEN
        } else {
            Flags::default()
        };
        let body = format!("Subject: m{k}\r\n\r\nbody {k}\r\n");
        s.deliver(u, body.as_bytes(), flags, None).unwrap();
    }
    s
}

#[test]
fn names_are_checked_and_laid_out_as_maildir_plus_plus() {
    assert_eq!(own("项目/二期").dir_name(), "INBOX/.项目.二期");
    assert_eq!(own(" 客户 ").name(), "客户");
    assert_eq!(Folder::from_dir_entry(".项目.二期"), Some(own("项目/二期")));
    assert_eq!(Folder::from_dir_entry("cur"), None);
    assert_eq!(Folder::from_dir_entry(".."), None);
    assert!(matches!(
        Folder::own("v1.2"),
        Err(FolderNameError::BadChar('.'))
    ));
    assert!(matches!(Folder::own("a//b"), Err(FolderNameError::Empty)));
    assert!(matches!(
        Folder::own("inbox"),
        Err(FolderNameError::Reserved(_))
    ));
    assert!(matches!(
        Folder::own("Trash"),
        Err(FolderNameError::Reserved(_))
    ));
    assert!(matches!(
        Folder::own("a\u{1b}b"),
        Err(FolderNameError::BadChar(_))
    ));
    assert!(matches!(
        Folder::own(&"长".repeat(201)),
        Err(FolderNameError::TooLong)
    ));
    // What the user types: a built-in's name or label is that folder.
    assert_eq!(Folder::parse("trash").unwrap(), Folder::Trash);
    assert_eq!(Folder::parse("Junk").unwrap(), Folder::Junk);
    assert_eq!(Folder::parse("客户/").unwrap(), own("客户"));
    // "Deleted" is the index's pseudo-folder, never a folder of the user's.
    assert_eq!(Folder::from_name("Deleted"), None);
    assert_eq!(Folder::from_name("项目/二期"), Some(own("项目/二期")));
}

#[test]
fn a_move_keeps_bytes_flags_and_uidl_and_survives_a_fresh_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = three(dir.path());
    let before = s.read("uid-1").unwrap().unwrap();
    let filed = s
        .file_many(&["uid-1".into(), "uid-2".into()], &own("项目/二期"), false)
        .unwrap();
    assert_eq!(filed.done, ["uid-1", "uid-2"]);
    assert!(dir.path().join("INBOX/.项目.二期/cur").is_dir());
    assert!(
        dir.path().join("INBOX/.项目/cur").is_dir(),
        "the parent level too"
    );
    assert_eq!(
        s.folders(),
        [Folder::ALL.to_vec(), vec![own("项目"), own("项目/二期")]].concat()
    );
    let rows = s.load(&own("项目/二期")).unwrap();
    assert_eq!(rows.len(), 2);
    let one = rows.iter().find(|r| r.uidl.as_str() == "uid-1").unwrap();
    assert!(one.flags.contains(Flags::SEEN) && one.on_server && one.stored);
    assert_eq!(s.read("uid-1").unwrap().unwrap(), before);
    assert_eq!(s.load(&Folder::Inbox).unwrap().len(), 1);
    // The index thrown away: rebuilt from the files, every message in the
    // folder it was moved to, with its UIDL and flags.
    drop(s);
    fs::remove_file(dir.path().join(INDEX_FILE)).unwrap();
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    let rows = s.load(&own("项目/二期")).unwrap();
    let one = rows.iter().find(|r| r.uidl.as_str() == "uid-1").unwrap();
    assert!(one.flags.contains(Flags::SEEN));
    assert_eq!(s.load(&Folder::Inbox).unwrap().len(), 1);
}

#[test]
fn a_kill_between_the_rename_and_the_index_is_put_right_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = three(dir.path());
    s.create_folder(&own("客户")).unwrap();
    // The file renamed by hand, as a move killed before its index update.
    let (_, rel) = s.index().file("uid-3").unwrap().unwrap();
    let name = rel.rsplit('/').next().unwrap().to_string();
    fs::rename(
        dir.path().join("INBOX").join(&rel),
        dir.path().join("INBOX/.客户/cur").join(&name),
    )
    .unwrap();
    drop(s);
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    s.reconcile().unwrap();
    let here: Vec<String> = s
        .load(&own("客户"))
        .unwrap()
        .iter()
        .map(|r| r.uidl.to_string())
        .collect();
    assert_eq!(here, ["uid-3"]);
    assert!(s
        .load(&Folder::Inbox)
        .unwrap()
        .iter()
        .all(|r| r.uidl.as_str() != "uid-3"));
    assert_eq!(s.index().file("uid-3").unwrap().unwrap().0, own("客户"));
}

#[test]
fn a_copy_is_a_new_local_message_and_the_original_stays() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = three(dir.path());
    let filed = s.file_many(&["uid-1".into()], &own("发票"), true).unwrap();
    assert_eq!(filed.copies.len(), 1);
    let copy = &filed.copies[0];
    assert!(copy.starts_with(" L"));
    assert_eq!(s.read(copy).unwrap(), s.read("uid-1").unwrap());
    assert_eq!(s.load(&Folder::Inbox).unwrap().len(), 3);
    let rows = s.load(&own("发票")).unwrap();
    assert!(rows[0].flags.contains(Flags::SEEN) && !rows[0].on_server);
}

#[test]
fn renaming_takes_sub_folders_along_and_deleting_sends_mail_to_trash() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = three(dir.path());
    s.file_many(&["uid-1".into()], &own("项目"), false).unwrap();
    s.file_many(&["uid-2".into()], &own("项目/二期"), false)
        .unwrap();
    s.rename_folder(&own("项目"), &own("工程")).unwrap();
    assert!(dir.path().join("INBOX/.工程.二期/cur").is_dir());
    assert!(!dir.path().join("INBOX/.项目").exists());
    assert_eq!(s.load(&own("工程/二期")).unwrap().len(), 1);
    assert_eq!(s.count_in(&own("工程")).unwrap(), 2);
    // Into itself, over an existing one, or a built-in: refused.
    assert!(s.rename_folder(&own("工程"), &own("工程/x")).is_err());
    s.create_folder(&own("其他")).unwrap();
    assert!(s.rename_folder(&own("工程"), &own("其他")).is_err());
    assert!(s.rename_folder(&Folder::Trash, &own("x")).is_err());
    // Deleting: both messages to Trash (the sub-folder's too), dirs gone.
    assert_eq!(s.delete_folder(&own("工程")).unwrap(), 2);
    assert!(!dir.path().join("INBOX/.工程").exists());
    assert!(!dir.path().join("INBOX/.工程.二期").exists());
    assert_eq!(s.load(&Folder::Trash).unwrap().len(), 2);
    assert!(s.delete_folder(&Folder::Junk).is_err());
    // A file beside the Maildir that is no mail of ours: the delete stops
    // with an error and leaves it.
    s.create_folder(&own("x")).unwrap();
    fs::write(dir.path().join("INBOX/.x/notes.txt"), b"mine").unwrap();
    assert!(s.delete_folder(&own("x")).is_err());
    assert_eq!(
        fs::read(dir.path().join("INBOX/.x/notes.txt")).unwrap(),
        b"mine"
    );
}
