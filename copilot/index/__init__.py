"""Embeddings and the vector store behind one small interface, plus ingestion.

    from copilot.index import build_embedder, build_vector_store
    store, embedder = build_vector_store(settings), build_embedder(settings)
    hits = store.search("postings", embedder.embed(["AWS | hosting"])[0], limit=50,
                        filters={"company": "demo", "entity": "US01"})
"""

from copilot.index.embeddings import Embedder, HashingEmbedder, SentenceTransformerEmbedder, build_embedder
from copilot.index.store import INDEXED_KEYS, Hit, Point, VectorStore, build_vector_store

__all__ = [
    "Embedder", "HashingEmbedder", "SentenceTransformerEmbedder", "build_embedder",
    "INDEXED_KEYS", "Hit", "Point", "VectorStore", "build_vector_store",
]
