"""Policy knowledge base: answers callers only from approved documents, naming the source.

Documents (Markdown + YAML front matter) are indexed twice, by words (BM25 over jieba tokens)
and by meaning (multilingual-e5-small embeddings); an answer is given only when the best match
is confidently relevant, otherwise the caller is offered a human agent.
"""
