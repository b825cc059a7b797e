"""Training pipeline for the maskgit-rpc default model (VQGAN tokenizer + MaskGIT transformer)."""
import os

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNS_DIR = os.path.join(REPO_ROOT, "runs")
DATA_DIR = os.path.join(REPO_ROOT, "data")
