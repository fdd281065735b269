"""Anchors: checkpoints of the audit chain kept outside the database (SPEC §10, API.md).

An anchor is a small JSON file in ``HEALTHCODE_AUDIT_ANCHOR_DIR`` saying "the chain had entry N
with digest D at time T", signed with an Ed25519 key derived from the audit key, which never goes
into the database. An intruder who can rewrite the database (empty the log, restore an older copy,
cut the tail and the head with it) cannot make the chain reach an anchored entry again, and
cannot sign a newer anchor. The public key is in every anchor so a third party can check them;
`healthcode audit verify` trusts only anchors signed by the key of the configured audit key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcode.domain.audit import Checkpoint

PATTERN = "anchor-*.json"


@dataclass(frozen=True)
class Anchors:
    """The anchors kept in ``directory`` and the key that signs and checks them."""

    directory: Path
    key: Ed25519PrivateKey

    @classmethod
    def of(cls, directory: Path, audit_key: str) -> Anchors:
        seed = HKDF(hashes.SHA256(), length=32, salt=None, info=b"healthcode audit anchor").derive(audit_key.encode())
        return cls(directory, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> str:
        return self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def write(self, checkpoint: Checkpoint) -> Path:
        """Keep ``checkpoint`` as a signed file (written whole, then renamed into place)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = {
            "seq": checkpoint.seq,
            "digest": checkpoint.digest,
            "at": checkpoint.at.isoformat(),
            "public_key": self.public_key,
            "signature": self.key.sign(checkpoint.payload()).hex(),
        }
        path = self.directory / f"anchor-{checkpoint.seq:012d}-{checkpoint.at:%Y%m%dT%H%M%S}.json"
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(body, indent=1) + "\n")
        os.replace(partial, path)
        return path

    def newest(self) -> tuple[Checkpoint | None, list[str]]:
        """The anchor of the furthest entry whose signature holds, and what was wrong with the
        other files (a forged or damaged anchor is named, never trusted)."""
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
        best: Checkpoint | None = None
        problems: list[str] = []
        for path in sorted(self.directory.glob(PATTERN)) if self.directory.is_dir() else []:
            try:
                body = json.loads(path.read_text())
                checkpoint = Checkpoint(int(body["seq"]), str(body["digest"]), datetime.fromisoformat(body["at"]))
                public.verify(bytes.fromhex(body["signature"]), checkpoint.payload())
            except (ValueError, KeyError, TypeError, InvalidSignature):
                problems.append(f"{path.name}: not an anchor signed with this audit key")
                continue
            if best is None or (checkpoint.seq, checkpoint.at) > (best.seq, best.at):
                best = checkpoint
        return best, problems
