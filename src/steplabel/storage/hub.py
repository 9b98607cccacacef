"""Push an export folder to a Hub dataset repository, replacing what was there for its config/split.

A nightly export-and-push must leave the repository as one copy of each config/split, not add
another beside the last: shards keep stable names (``data/{config}/{split}-NNNNN-of-NNNNN.parquet``),
and one commit (``create_commit``) deletes the files the repository held for the same
config/split (those its card listed, plus that config/split's folder and plots, but none that
another config/split lists) and adds the new ones, with a card merged from the one already there (``card.merge_cards``) so its
``configs`` list every config/split on the Hub. Readers never see half an update, and
``parent_commit`` makes the commit fail rather than overwrite a push that landed in between.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from steplabel.storage.card import card_paths, data_pattern, merge_cards, plot_folder

_SHARD = re.compile(r"^(?P<split>\w+(?:\.\w+)*)-\d{5}-of-\d{5}\.parquet$")


@dataclass
class PushResult:
    added: list[str]
    deleted: list[str]
    parts: list[tuple[str, str]]  # (config, split) replaced


def glob_match(path: str, pattern: str) -> bool:
    """The Hub's data_files patterns: ``*`` stays inside one folder, ``**`` crosses folders."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace("\0", ".*")
    return re.fullmatch(regex, path) is not None


def folder_parts(folder: Path) -> list[tuple[str, str]]:
    """The (config, split) pairs an export folder holds, read from its shard names."""
    parts = set()
    for path in (folder / "data").glob("*/*.parquet"):
        match = _SHARD.match(path.name)
        if match:
            parts.add((path.parent.name, match["split"]))
    if not parts:
        raise ValueError(f"{folder}: no data/CONFIG/SPLIT-NNNNN-of-NNNNN.parquet shards (not an export folder?)")
    return sorted(parts)


def _existing_card(api, repo_id: str, files: list[str], revision: str | None) -> str | None:
    if "README.md" not in files:
        return None
    path = api.hf_hub_download(repo_id=repo_id, filename="README.md", repo_type="dataset", revision=revision)
    return Path(path).read_text(encoding="utf-8")


def push(folder: str | Path, repo_id: str, token_env: str = "HF_TOKEN", api=None) -> PushResult:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    folder = Path(folder)
    parts = folder_parts(folder)
    api = api or HfApi(token=os.environ.get(token_env) or None)
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    head = api.repo_info(repo_id, repo_type="dataset").sha
    remote = list(api.list_repo_files(repo_id, repo_type="dataset", revision=head))
    card = _existing_card(api, repo_id, remote, head)
    local = {path.relative_to(folder).as_posix(): path
             for sub in ("data", "plots") for path in sorted((folder / sub).rglob("*")) if path.is_file()}
    listed = card_paths(card)
    patterns = [p for config, split in parts
                for p in [*listed.get((config, split), []), data_pattern(config, split), f"{plot_folder(config, split)}/**"]]
    # A broad pattern of ours ("data/**") never takes a file another config/split still lists.
    others = [p for key, found in listed.items() if key not in parts for p in found]
    deleted = [f for f in remote if f not in local and any(glob_match(f, p) for p in patterns)
               and not any(glob_match(f, p) for p in others)]
    merged = merge_cards(card, (folder / "README.md").read_text(encoding="utf-8"))
    operations = [CommitOperationDelete(path_in_repo=f) for f in deleted]
    operations += [CommitOperationAdd(path_in_repo=target, path_or_fileobj=str(path)) for target, path in local.items()]
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=merged.encode("utf-8")))
    names = ", ".join(f"{c}/{s}" for c, s in parts)
    api.create_commit(repo_id=repo_id, repo_type="dataset", operations=operations, parent_commit=head,
                      commit_message=f"steplabel export: replace {names} ({len(local)} files, {len(deleted)} removed)")
    return PushResult([*local, "README.md"], deleted, parts)
