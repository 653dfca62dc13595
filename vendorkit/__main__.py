from vendorkit._cli import main

main()
