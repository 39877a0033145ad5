"""``minis publish`` and ``minis apps`` from the command line, as a developer runs them."""

from __future__ import annotations

from typer.testing import CliRunner

from openminis.cli import app
from tests.factories import package_files, write_folder

runner = CliRunner()


def test_publish_a_folder_then_list_it(tmp_path):
    folder = write_folder(tmp_path / "pkg", package_files())
    data = str(tmp_path / "data")
    result = runner.invoke(app, ["publish", str(folder), "--data-dir", data])
    assert result.exit_code == 0, result.output
    assert "published test-game 1.0.0" in result.output
    listing = runner.invoke(app, ["apps", "--data-dir", data])
    assert "test-game" in listing.output and "1.0.0" in listing.output


def test_a_rejected_package_exits_non_zero_and_says_why(tmp_path):
    folder = write_folder(tmp_path / "pkg", package_files(version="one"))
    result = runner.invoke(app, ["publish", str(folder), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "INVALID_MANIFEST" in result.output and "version" in result.output
    assert not (tmp_path / "data" / "packages").exists() or not any((tmp_path / "data" / "packages").iterdir())
