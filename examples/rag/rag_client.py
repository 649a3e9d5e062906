"""A first retrieval-augmented answer from the examples/rag/ stacks (docs/manual.md, "Retrieval-augmented example").

Runs in the application's namespace, `rag`: its pods alone reach the vector store, whose credentials the Secret
`vector-store` gives as libpq's PG* variables (psycopg reads them), and the stack's internal Gateway answers both
models under one base URL. It embeds a few documents with the embedding model, stores them in pgvector, embeds
the question, takes the nearest documents and asks the chat model to answer from them.

    pip install openai==3.51.0 "psycopg[binary]==3.3.9" pgvector==0.5.1
    python rag_client.py --ca-bundle ca.crt "How does a sleeping model wake up?"
"""

from __future__ import annotations

import argparse
import os
import ssl

import openai
import psycopg
from pgvector import Vector
from pgvector.psycopg import register_vector

BASE_URL = "https://rag.internal.example.com/v1"
"""The Gateway's host for both models (the stack output models.<name>.publicUrl)."""
EMBEDDING_MODEL = "BAAI/bge-m3"
CHAT_MODEL = "Qwen/Qwen2.5-7B-Instruct"
DIMENSIONS = 1024
"""bge-m3's embedding size (its hidden size)."""
NEAREST = 3

DOCUMENTS = (
    "A model with minReplicas 0 sleeps: KEDA's HTTP add-on holds its first request and wakes it.",
    "The stack's Gateway serves TLS only, with a certificate from the ClusterIssuer named in tlsClusterIssuer.",
    "An embedding model runs on vLLM's pooling runner and keeps no KV cache.",
    "The vector store is PostgreSQL with pgvector, reachable from the application's namespace only.",
)


def client(ca_bundle: str | None) -> openai.OpenAI:
    # vLLM checks no key unless it was started with one; the client needs a value all the same.
    http_client = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=ca_bundle)) if ca_bundle else None
    return openai.OpenAI(base_url=BASE_URL, api_key=os.environ.get("OPENAI_API_KEY", "unused"), http_client=http_client)


def embed(llm: openai.OpenAI, texts: list[str]) -> list[Vector]:
    response = llm.embeddings.create(model=EMBEDDING_MODEL, input=texts)
    return [Vector(item.embedding) for item in sorted(response.data, key=lambda item: item.index)]


def store(connection: psycopg.Connection, llm: openai.OpenAI) -> None:
    """The documents and their vectors, once (the extension itself was created with the database)."""
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS documents (id bigserial PRIMARY KEY, content text UNIQUE NOT NULL, "
        f"embedding vector({DIMENSIONS}) NOT NULL)"
    )
    connection.execute(
        "CREATE INDEX IF NOT EXISTS documents_embedding ON documents USING hnsw (embedding vector_cosine_ops)"
    )
    for content, vector in zip(DOCUMENTS, embed(llm, list(DOCUMENTS)), strict=True):
        connection.execute(
            "INSERT INTO documents (content, embedding) VALUES (%s, %s) ON CONFLICT (content) DO NOTHING",
            (content, vector),
        )


def nearest(connection: psycopg.Connection, llm: openai.OpenAI, question: str) -> list[str]:
    [vector] = embed(llm, [question])
    rows = connection.execute(
        "SELECT content FROM documents ORDER BY embedding <=> %s LIMIT %s", (vector, NEAREST)
    ).fetchall()
    return [row[0] for row in rows]


def answer(llm: openai.OpenAI, question: str, context: list[str]) -> str:
    sources = "\n".join(f"- {text}" for text in context)
    response = llm.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "system", "content": f"Answer from these notes only:\n{sources}"},
            {"role": "user", "content": question},
        ],
        max_tokens=200,
    )
    return response.choices[0].message.content or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question")
    parser.add_argument("--ca-bundle", help="the private CA that signed the Gateway's certificate (PEM)")
    options = parser.parse_args()
    llm = client(options.ca_bundle)
    with psycopg.connect() as connection:  # PGHOST, PGUSER, PGPASSWORD, ... from the Secret `vector-store`
        register_vector(connection)
        store(connection, llm)
        context = nearest(connection, llm, options.question)
    print(answer(llm, options.question, context))


if __name__ == "__main__":
    main()
