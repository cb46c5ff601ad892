"""S3 through the real `aws` executable: mb, cp of a 20 MB file (multipart, with checksums) both
ways, ls, sync of a folder, presign then a plain HTTP GET, rb --force, and errors on stderr."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.live


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324


def test_the_everyday_commands(aws_cli: Callable[..., Any], s3: Any, tmp_path: Path) -> None:
    assert aws_cli("s3", "mb", "s3://cli-bucket").stdout.strip() == "make_bucket: cli-bucket"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1000 * 1000))
    aws_cli("s3", "cp", str(big), "s3://cli-bucket/data/big.bin")
    head = s3.head_object(Bucket="cli-bucket", Key="data/big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 20 * 1000 * 1000
    assert head["ETag"].endswith('-3"')  # the CLI's 8 MiB parts: a multipart upload
    assert head["PartsCount"] == 3
    assert "ChecksumCRC32" in head  # the CLI's default checksum, checked and kept
    aws_cli("s3", "cp", "s3://cli-bucket/data/big.bin", "s3://cli-bucket/data/copy.bin")  # UploadPartCopy
    assert s3.head_object(Bucket="cli-bucket", Key="data/copy.bin")["ContentLength"] == 20 * 1000 * 1000
    aws_cli("s3", "rm", "s3://cli-bucket/data/copy.bin")
    back = tmp_path / "back.bin"
    aws_cli("s3", "cp", "s3://cli-bucket/data/big.bin", str(back))
    assert _md5(back) == _md5(big)

    folder = tmp_path / "site"
    (folder / "css").mkdir(parents=True)
    (folder / "index.html").write_text("<h1>hi</h1>")
    (folder / "css" / "main.css").write_text("h1 { color: red }")
    # Written a minute ago: S3's LastModified has whole seconds, so a file written and uploaded
    # within the same second looks newer than its copy and a second sync would send it again.
    for path in (folder / "index.html", folder / "css" / "main.css"):
        os.utime(path, (time.time() - 60, time.time() - 60))
    aws_cli("s3", "sync", str(folder), "s3://cli-bucket/site")
    listing = aws_cli("s3", "ls", "--recursive", "s3://cli-bucket").stdout
    assert [line.split()[-1] for line in listing.splitlines()] == [
        "data/big.bin",
        "site/css/main.css",
        "site/index.html",
    ]
    assert "PRE site/" in aws_cli("s3", "ls", "s3://cli-bucket/").stdout
    again = aws_cli("s3", "sync", str(folder), "s3://cli-bucket/site").stdout
    assert again.strip() == ""  # nothing changed: sync compared sizes and times and sent nothing
    assert s3.get_object(Bucket="cli-bucket", Key="site/css/main.css")["ContentType"] == "text/css"

    url = aws_cli("s3", "presign", "s3://cli-bucket/site/index.html", "--expires-in", "300").stdout.strip()
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    assert answer.text == "<h1>hi</h1>"

    refused = aws_cli("s3", "rb", "s3://cli-bucket", check=False)
    assert refused.returncode != 0
    assert "BucketNotEmpty" in refused.stderr
    removed = aws_cli("s3", "rb", "--force", "s3://cli-bucket").stdout
    assert "remove_bucket: cli-bucket" in removed
    assert s3.list_buckets()["Buckets"] == []


def test_errors_on_stderr(aws_cli: Callable[..., Any]) -> None:
    missing = aws_cli("s3api", "get-object", "--bucket", "nowhere-bucket", "--key", "k", "out.bin", check=False)
    assert missing.returncode != 0
    assert "An error occurred (NoSuchBucket) when calling the GetObject operation" in missing.stderr
    assert missing.stderr.strip().endswith("The specified bucket does not exist")
    aws_cli("s3", "mb", "s3://err-bucket")
    no_key = aws_cli("s3api", "get-object", "--bucket", "err-bucket", "--key", "k", "out.bin", check=False)
    assert "An error occurred (NoSuchKey) when calling the GetObject operation" in no_key.stderr
    assert no_key.stderr.strip().endswith("The specified key does not exist.")
    bad = aws_cli("s3", "mb", "s3://Bad_Name", check=False)
    assert "InvalidBucketName" in bad.stderr
