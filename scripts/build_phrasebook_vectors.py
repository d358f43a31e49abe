"""Embed the phrasebook's train examples and fit the stand-in's read-out; ship both in the package.

    .venv/bin/python scripts/build_phrasebook_vectors.py

Run it after editing ``stripe_nb_agent/sandbox/model/phrasebook.toml`` (a test fails until you
do): it writes ``phrasebook.npz`` next to it, so a kernel only loads the embedding model instead
of embedding ~500 phrasings and fitting the read-out at every start. The result is deterministic
(the same phrasebook and model give the same file, up to float rounding).
"""

from __future__ import annotations

from pathlib import Path

from stripe_nb_agent.llm.local_embeddings import LocalEmbedder, installed_model_files
from stripe_nb_agent.sandbox.model.understand import VECTORS_FILE, build_vectors, load_phrasebook

TARGET = Path(__file__).resolve().parent.parent / "stripe_nb_agent" / "sandbox" / "model" / VECTORS_FILE


def main() -> None:
    book = load_phrasebook()
    vectors = build_vectors(LocalEmbedder(installed_model_files()), book)
    vectors.save(TARGET)
    train, _ = book.size()
    size = TARGET.stat().st_size
    print(f"wrote {TARGET} ({size:,} bytes): {train} train phrasings, {len(book.entries)} kinds")


if __name__ == "__main__":
    main()
