from kume.cli import main

main()
