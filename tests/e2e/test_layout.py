"""The source layout of the README's Design section: no folder of src/
includes one above it, so no two include each other (scripts/check-layers)."""
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check-layers"


def run(src):
    return subprocess.run([str(CHECK), str(src)], capture_output=True, text=True)


def test_src_includes_only_folders_below():
    r = run(ROOT / "src")
    assert r.returncode == 0, r.stdout


def test_check_finds_an_upward_include_and_a_circle(tmp_path):
    for f, text in {"member/member.c": '#include "ca/issue.h"\n',
                    "ca/issue.h": '#include "member/member.h"\n',
                    "member/member.h": "", "util/log.c": '#include "db/db.h"\n',
                    "db/db.h": ""}.items():
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text(text)
    r = run(tmp_path)
    assert r.returncode == 1
    assert "member/member.c: includes ca/issue.h" in r.stdout
    assert "util/log.c: includes db/db.h" in r.stdout
