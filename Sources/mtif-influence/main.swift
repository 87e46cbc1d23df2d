import Shared

runTool("mtif-influence") {
    throw MTIFError.usage("mtif-influence is being built")
}
