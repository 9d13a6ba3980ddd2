from casework.entities.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = "Import call records (caller,callee,start_time,duration_s[,cell]) into a room."
    kind = "calls"
