from complaintdesk.entrypoints.cli.main import main

main()
