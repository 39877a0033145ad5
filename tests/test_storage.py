"""Object storage (storage.py): the same rules for the data dir's files and an S3-compatible bucket
(moto's server on loopback, tests/s3.py); presigned and CDN links; settings that refuse a wrong
configuration at start; what ``minis backup`` does with a bucket."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import ValidationError

from openminis import backup, scratch
from openminis.settings import Settings
from openminis.storage import InvalidKey, LocalStore, ObjectStore, S3Store, open_storage
from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, in_bucket


def s3_settings(tmp_path: Path, endpoint: str, bucket: str, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        storage_url=f"s3://{bucket}/minis",
        storage_endpoint_url=endpoint,
        storage_region=REGION,
        storage_access_key_id=ACCESS_KEY,
        storage_secret_access_key=SECRET_KEY,
        **overrides,
    )


@pytest.fixture(params=["files", "s3"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "files":
        return LocalStore(tmp_path)
    server, bucket = request.getfixturevalue("s3_server"), request.getfixturevalue("bucket")
    return open_storage(s3_settings(tmp_path, server.endpoint, bucket))


def keys_under(store: ObjectStore, folder: str) -> set[str]:
    """What a reader finds under ``folder/``, looked at behind the store's back."""
    if isinstance(store, LocalStore):
        root = store.root / folder
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    assert isinstance(store, S3Store)
    prefix = f"{store.prefix}/{folder}/"
    found = store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"].removeprefix(prefix) for item in found}


def test_an_object_is_read_back_as_written_then_deleted(store):
    store.put_bytes("ads/a.png", b"\x89PNG picture")
    assert store.get("ads/a.png") == b"\x89PNG picture"
    assert store.exists("ads/a.png") and store.size("ads/a.png") == 12
    with store.fetched("ads/a.png") as local:
        assert local is not None and local.read_bytes() == b"\x89PNG picture"
    store.delete("ads/a.png")
    assert store.get("ads/a.png") is None and not store.exists("ads/a.png") and store.size("ads/a.png") is None
    with store.fetched("ads/a.png") as local:
        assert local is None


def test_a_remote_objects_local_copy_is_in_a_scratch_folder_of_the_data_dir(s3_server, bucket, tmp_path):
    """Downloads for local work (a transcode's upload) went to the system's temp folder, which no
    start of the platform sweeps: a worker killed mid-transcode left them there."""
    settings = s3_settings(tmp_path, s3_server.endpoint, bucket)
    store = open_storage(settings)
    store.put_bytes("media/drama/uploads/ep_1-abcd.mp4", b"video bytes")
    with store.fetched("media/drama/uploads/ep_1-abcd.mp4") as local:
        assert local is not None and local.parent.parent == settings.work_dir
        assert scratch.sweep(settings.work_dir) == []  # held while in use
        assert local.read_bytes() == b"video bytes"
    assert list(settings.work_dir.iterdir()) == []


def test_a_file_put_in_the_store_reads_back(store, tmp_path):
    staged = tmp_path / "staged.mp4"
    staged.write_bytes(b"video bytes")
    store.put_file("media/drama/uploads/ep_1-abcd.mp4", staged)
    assert store.get("media/drama/uploads/ep_1-abcd.mp4") == b"video bytes"


def test_a_version_is_stored_whole_or_not_at_all(store):
    files = {"index.html": b"<p>hi</p>", "js/game.js": b"go()", "art/My Sprite \u00e9.png": b"png"}
    store.put_files("packages/app/1.0.0-aa", files)
    assert keys_under(store, "packages/app/1.0.0-aa") == set(files)  # any name a package may hold
    assert store.get("packages/app/1.0.0-aa/art/My Sprite \u00e9.png") == b"png"
    # A write that fails half-way (here a name that would leave the store, refused after the
    # first file went in) leaves nothing under the version's key.
    with pytest.raises(InvalidKey):
        store.put_files("packages/app/2.0.0-bb", {"index.html": b"<p>two</p>", "../escape.js": b"x"})
    assert keys_under(store, "packages/app/2.0.0-bb") == set()


def test_a_retried_folder_replaces_what_the_earlier_attempt_left(store, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in ((first, ["720p.mp4", "stale.jpg"]), (second, ["720p.mp4", "poster.jpg"])):
        folder.mkdir()
        for name in names:
            (folder / name).write_bytes(f"{folder.name} {name}".encode())
    store.put_folder("media/posts/pst_1-aa", first)
    store.put_folder("media/posts/pst_1-aa", second)
    assert keys_under(store, "media/posts/pst_1-aa") == {"720p.mp4", "poster.jpg"}
    assert store.get("media/posts/pst_1-aa/720p.mp4") == b"second 720p.mp4"


def test_deleting_a_folder_leaves_a_folder_whose_name_merely_begins_alike(store):
    store.put_bytes("media/drama/ep_1-ab/poster.jpg", b"one")
    store.put_bytes("media/drama/ep_1-abc/poster.jpg", b"other")
    store.delete_folder("media/drama/ep_1-ab")
    assert store.get("media/drama/ep_1-ab/poster.jpg") is None
    assert store.get("media/drama/ep_1-abc/poster.jpg") == b"other"


@pytest.mark.parametrize("key", ["", "../secret.key", "/etc/passwd", "media//x", "media/./x", "media/../x"])
def test_a_key_that_could_leave_the_store_is_refused(store, key):
    with pytest.raises(InvalidKey):
        store.get(key)


def test_the_local_store_keeps_the_data_dirs_layout(tmp_path):
    (tmp_path / "packages" / "app" / "1.0.0-aa").mkdir(parents=True)
    (tmp_path / "packages" / "app" / "1.0.0-aa" / "index.html").write_text("made before")
    store = LocalStore(tmp_path)
    assert store.get("packages/app/1.0.0-aa/index.html") == b"made before"
    assert store.browser_url("packages/app/1.0.0-aa/index.html") is None  # Python serves it


def test_a_presigned_link_serves_the_object_and_is_signed_for_about_a_minute(s3_server, bucket, tmp_path):
    store = open_storage(s3_settings(tmp_path, s3_server.endpoint, bucket))
    store.put_bytes("media/posts/pst_1-aa/poster.jpg", b"\xff\xd8\xff poster")
    url = store.browser_url("media/posts/pst_1-aa/poster.jpg")
    assert url is not None and url.startswith(f"{s3_server.endpoint}/{bucket}/minis/media/posts/pst_1-aa/poster.jpg?")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["60"]
    fetched = httpx.get(url, trust_env=False)
    assert fetched.status_code == 200 and fetched.content == b"\xff\xd8\xff poster"
    assert fetched.headers["content-type"] == "image/jpeg"
    # Shorter when the caller's own link has less left; never longer than the setting.
    shorter = store.browser_url("media/posts/pst_1-aa/poster.jpg", seconds=7)
    assert shorter is not None and parse_qs(urlsplit(shorter).query)["X-Amz-Expires"] == ["7"]
    longer = store.browser_url("media/posts/pst_1-aa/poster.jpg", seconds=3600)
    assert longer is not None and parse_qs(urlsplit(longer).query)["X-Amz-Expires"] == ["60"]
    # Checking the signature and the expiry is the store's part (S3, MinIO, R2, RGW do; moto's
    # server does not check them without IAM set up, so they are not asserted here).


def test_public_immutable_objects_link_to_the_cdn_and_the_rest_stay_presigned(s3_server, bucket, tmp_path):
    store = open_storage(s3_settings(tmp_path, s3_server.endpoint, bucket, media_base_url="https://media.example.com/"))
    assert store.browser_url("ads/abc.png", public=True) == "https://media.example.com/minis/ads/abc.png"
    private = store.browser_url("ads/abc.png")
    assert private is not None and private.startswith(s3_server.endpoint) and "X-Amz-Signature=" in private
    assert store.browser_origins() == [s3_server.endpoint, "https://media.example.com"]


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"storage_url": "s3://Not_A_Bucket"}, "MINIS_STORAGE_URL must be s3://bucket/prefix"),
        ({"storage_url": "https://bucket.example.com/x"}, "MINIS_STORAGE_URL must be s3://bucket/prefix"),
        ({"storage_url": "s3://bucket", "storage_endpoint_url": "minio:9000"}, "MINIS_STORAGE_ENDPOINT_URL must be"),
        ({"storage_url": "s3://bucket", "storage_access_key_id": "key"}, "set both MINIS_STORAGE_ACCESS_KEY_ID"),
        ({"media_base_url": "https://cdn.example.com"}, "MINIS_MEDIA_BASE_URL is set but MINIS_STORAGE_URL is not"),
        ({"storage_url": "s3://bucket", "media_url_seconds": 86400}, "MINIS_MEDIA_URL_SECONDS is 1 to 3600"),
    ],
)
def test_a_wrong_storage_setting_stops_the_start_with_its_reason(overrides, complaint):
    with pytest.raises(ValidationError, match=complaint):
        Settings(**overrides)


def test_a_bucket_and_its_prefix_are_read_from_the_storage_url():
    assert Settings(storage_url="s3://minis-media/prod/eu/").storage_bucket == ("minis-media", "prod/eu")
    assert Settings(storage_url="s3://minis-media").storage_bucket == ("minis-media", "")


def test_a_backup_with_a_bucket_copies_the_database_and_says_it_left_the_objects(settings, s3_server, bucket, tmp_path):
    stored = in_bucket(settings, s3_server, bucket)
    open_storage(stored).put_bytes("ads/" + "a" * 64 + ".png", b"\x89PNG")
    report = backup.backup(stored, tmp_path / "backup")
    assert report.not_copied == [
        f"objects in s3://{bucket}/minis: keep them with the bucket's versioning or replication"
    ]
    assert list((tmp_path / "backup" / "files").iterdir()) == []  # no ads/, media/ or packages/
    manifest = json.loads((tmp_path / "backup" / "backup.json").read_text())
    assert manifest["not_copied"] == report.not_copied
