import os
import warnings
warnings.filterwarnings("ignore", message="SelfAttention will be deprecated")
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
