"""Zips a staged wheel tree into a .whl, with its RECORD.

Usage: python3 write_wheel.py TREE DIST_INFO OUT.whl

RECORD lists every file with its sha256 (urlsafe base64, no padding) and size; RECORD itself has
neither. The .dist-info folder goes last, as the wheel format recommends, so that an installer
reading the archive front to back meets the files before the list of them. Each entry's mode is
in its external_attr: pip gives an installed file the executable bits where the zip has them, so
the single executable arrives runnable. Timestamps are SOURCE_DATE_EPOCH's, or 1980-01-01 (the
oldest a zip can hold), and the order is sorted: two builds differ only where their files do.
"""

import base64
import hashlib
import os
import stat
import sys
import time
import zipfile


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def list_files(tree, dist_info):
    """Every file under ``tree`` as a '/'-separated relative path, sorted, .dist-info last."""
    found = []
    for folder, subfolders, files in os.walk(tree):
        subfolders.sort()
        for name in sorted(files):
            found.append(os.path.relpath(os.path.join(folder, name), tree).replace(os.sep, "/"))
    return sorted(found, key=lambda path: (path.startswith(dist_info + "/"), path))


def zip_date():
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return (1980, 1, 1, 0, 0, 0)
    return time.gmtime(max(int(epoch), 315532800))[:6]


def add_entry(archive, name, data, mode, date):
    info = zipfile.ZipInfo(name, date_time=date)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.create_system = 3  # Unix: what makes installers read the mode bits above.
    info.compress_type = zipfile.ZIP_DEFLATED
    # zlib level 6: level 9 took three times as long (20 s) to save 0.6% of the executable.
    archive.writestr(info, data, compresslevel=6)


def write_wheel(tree, dist_info, out):
    date = zip_date()
    record_name = dist_info + "/RECORD"
    lines = []
    with zipfile.ZipFile(out, "w") as archive:
        for name in list_files(tree, dist_info):
            path = os.path.join(tree, *name.split("/"))
            with open(path, "rb") as source:
                data = source.read()
            executable = os.stat(path).st_mode & stat.S_IXUSR
            add_entry(archive, name, data, 0o755 if executable else 0o644, date)
            lines.append("{},{},{}".format(name, record_hash(data), len(data)))
        lines.append(record_name + ",,")
        add_entry(archive, record_name, ("\n".join(lines) + "\n").encode("utf-8"), 0o644, date)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    write_wheel(sys.argv[1], sys.argv[2], sys.argv[3])
