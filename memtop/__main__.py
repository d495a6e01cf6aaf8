import sys

from memtop.cli import main

if __name__ == "__main__":
    sys.exit(main())
