"""``python -m castlab`` runs the CLI."""

from castlab.cli import main

if __name__ == "__main__":
    main()
