"""The measurement harness: discover snippets, run them, store, check and compare results.

Usage: python -m bench {list,run,check,compare} --help
"""
