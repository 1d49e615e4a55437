from inward.cli import main

main()
