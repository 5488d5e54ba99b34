"""`python -m voiceshop` behaves exactly like the `voiceshop` command."""

from voiceshop.cli.app import main

if __name__ == "__main__":
    main()
