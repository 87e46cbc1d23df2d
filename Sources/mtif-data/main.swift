import Shared

runTool("mtif-data") {
    throw MTIFError.usage("mtif-data is being built")
}
